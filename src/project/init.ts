/**
 * Creating a new project without ever overwriting a file, nor writing through a symbolic link
 * (a cloned repository can aim `.gitignore`, `agents/` or `tsconfig.json` anywhere).
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
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

/** Whether `rel` (beneath `dir`) or a directory on the way is a symbolic link, or exists. */
function taken(dir: string, rel: string): boolean {
  const parts = rel.split("/");
  try {
    for (let i = 1; i <= parts.length; i++) {
      const st = lstatSync(join(dir, ...parts.slice(0, i)), { throwIfNoEntry: false });
      if (st?.isSymbolicLink() || (st && i === parts.length)) return true;
    }
  } catch {
    return true; // a file where a directory should be (ENOTDIR): left as it is
  }
  return false;
}

function writeNew(dir: string, rel: string, content: string, result: InitResult): void {
  const path = join(dir, rel);
  if (taken(dir, rel)) result.skipped.push(rel);
  else {
    writeFileSync(path, content, { flag: "wx" }); // wx: never replace a file (or link) that appears meanwhile
    result.created.push(rel);
  }
}

/** A new project in `target`: loom.toml, the starter agent of `template` and what it needs, .gitignore entries. */
export function initProject(target: string, template: Template = "ts"): InitResult {
  const dir = resolve(target);
  try {
    mkdirSync(dir, { recursive: true });
    if (!lstatSync(join(dir, "agents"), { throwIfNoEntry: false })) mkdirSync(join(dir, "agents"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LoomError("USAGE", `cannot create a project in ${dir}: ${code === "ENOTDIR" || code === "EEXIST" ? `${dir} (or a parent) is a file, not a directory` : code}`, {
      hint: "give `loom init` a directory (new or existing)",
      cause: error,
    });
  }
  const result: InitResult = { dir, created: [], skipped: [], appended: [] };
  const name = basename(dir).replace(/[^A-Za-z0-9_.-]/g, "-") || "loom-project";
  writeNew(dir, CONFIG_FILE, loomTomlTemplate(name), result);
  for (const [file, content] of Object.entries(templateFiles(template))) writeNew(dir, file, content, result);

  const gitignore = join(dir, ".gitignore");
  const st = lstatSync(gitignore, { throwIfNoEntry: false });
  if (!st) writeNew(dir, ".gitignore", GITIGNORE_ENTRIES.join("\n") + "\n", result);
  else if (!st.isFile()) result.skipped.push(".gitignore");
  else {
    const text = readFileSync(gitignore, "utf8");
    const lines = new Set(text.split(/\r?\n/).map((l) => l.trim()));
    const missing = GITIGNORE_ENTRIES.filter((e) => !lines.has(e) && !lines.has(e.replace(/\/$/, "")));
    if (missing.length) {
      // O_NOFOLLOW: a link put there since the check is refused, not written through.
      const fd = openSync(gitignore, constants.O_WRONLY | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0));
      try {
        writeSync(fd, (text.endsWith("\n") || text === "" ? "" : "\n") + missing.join("\n") + "\n");
      } finally {
        closeSync(fd);
      }
      result.appended.push(...missing);
    }
  }
  return result;
}
