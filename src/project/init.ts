/** Creating a new project without ever overwriting a file. */
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { basename, join, resolve } from "pathe";
import { CONFIG_FILE } from "../config/defaults";
import { LoomError } from "../errors";
import { GITIGNORE_ENTRIES, type Template, loomTomlTemplate, templateFiles } from "./templates";

export interface InitResult {
  dir: string;
  created: string[];
  skipped: string[];
  /** .gitignore entries appended to an existing file. */
  appended: string[];
}

function writeNew(path: string, content: string, result: InitResult, label: string): void {
  if (existsSync(path)) result.skipped.push(label);
  else {
    writeFileSync(path, content, { flag: "wx" }); // wx: never replace a file that appears meanwhile
    result.created.push(label);
  }
}

/** A new project in `target`: loom.toml, the starter agent of `template` and what it needs, .gitignore entries. */
export function initProject(target: string, template: Template = "ts"): InitResult {
  const dir = resolve(target);
  try {
    mkdirSync(join(dir, "agents"), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LoomError("USAGE", `cannot create a project in ${dir}: ${code === "ENOTDIR" || code === "EEXIST" ? `${dir} (or a parent) is a file, not a directory` : code}`, {
      hint: "give `loom init` a directory (new or existing)",
      cause: error,
    });
  }
  const result: InitResult = { dir, created: [], skipped: [], appended: [] };
  const name = basename(dir).replace(/[^A-Za-z0-9_.-]/g, "-") || "loom-project";
  writeNew(join(dir, CONFIG_FILE), loomTomlTemplate(name), result, CONFIG_FILE);
  for (const [file, content] of Object.entries(templateFiles(template))) writeNew(join(dir, file), content, result, file);

  const gitignore = join(dir, ".gitignore");
  if (!existsSync(gitignore)) writeNew(gitignore, GITIGNORE_ENTRIES.join("\n") + "\n", result, ".gitignore");
  else {
    const text = readFileSync(gitignore, "utf8");
    const lines = new Set(text.split(/\r?\n/).map((l) => l.trim()));
    const missing = GITIGNORE_ENTRIES.filter((e) => !lines.has(e) && !lines.has(e.replace(/\/$/, "")));
    if (missing.length) {
      appendFileSync(gitignore, (text.endsWith("\n") || text === "" ? "" : "\n") + missing.join("\n") + "\n");
      result.appended.push(...missing);
    }
  }
  return result;
}
