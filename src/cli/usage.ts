/**
 * `--help`, rendered from the command definitions (citty's renderer right-aligns and pads every
 * line to its longest, about 200 columns here): options wrapped to the terminal's width (100 when
 * not a terminal), then the sub-commands and the examples. The same definitions render
 * docs/cli.md (scripts/cli-reference.ts), so the reference cannot drift from the code.
 */
import type { ArgDef, ArgsDef } from "citty";
import { metaOf } from "./command";
import type { AnyCommand } from "./main";

type Any = AnyCommand;

async function resolve<T>(value: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/** Words of `text` in lines of at most `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [""];
}

/** `-p, --project <DIR>`, `--mode <full|bridge-only>`, `--detach`. */
export function flagOf(name: string, def: ArgDef): string {
  const alias = "alias" in def && def.alias ? [def.alias].flat().map((a) => `-${a}, `) : [];
  const value = def.type === "enum" ? ` <${(def.options ?? []).join("|")}>` : def.type === "string" ? ` <${("valueHint" in def && def.valueHint) || "VALUE"}>` : "";
  return `${alias.join("")}--${name}${value}`;
}

export interface HelpModel {
  path: string;
  description: string;
  usage: string;
  options: [string, string][];
  commands: [string, string][];
  examples: string[];
}

/** What --help shows of `cmd` (its path from `loom`), independent of the output format. */
export async function helpModel(path: string[], cmd: Any): Promise<HelpModel> {
  const meta = metaOf(cmd);
  const args = (cmd.args ? await resolve(cmd.args) : {}) as ArgsDef;
  const entries = Object.entries(args);
  const positionals = entries
    .filter(([, d]) => d.type === "positional")
    .map(([n, d]) => (d.required ? `<${("valueHint" in d && d.valueHint) || n}>` : `[${("valueHint" in d && d.valueHint) || n}]`));
  const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
  const commands: [string, string][] = [];
  for (const [name, sub] of Object.entries(subs ?? {})) {
    const m = metaOf((await resolve(sub)) as Any);
    if (!m.hidden) commands.push([name, m.description ?? ""]);
  }
  return {
    path: path.join(" "),
    description: meta.description ?? "",
    usage: [path.join(" "), commands.length ? "<command>" : "", entries.some(([, d]) => d.type !== "positional") ? "[options]" : "", ...positionals].filter(Boolean).join(" "),
    options: entries.filter(([, d]) => d.type !== "positional").map(([name, d]) => [flagOf(name, d), d.description ?? ""]),
    commands,
    examples: meta.examples ?? [],
  };
}

/** The model as terminal text, `width` columns wide. */
export function renderText(m: HelpModel, width: number): string {
  const out = [...wrap(m.description, width), "", `Usage: ${m.usage}`];
  const table = (title: string, rows: [string, string][]) => {
    if (!rows.length) return;
    const col = Math.min(Math.max(...rows.map(([l]) => l.length)) + 4, 34);
    out.push("", `${title}:`);
    for (const [left, text] of rows) {
      const lines = wrap(text, Math.max(width - col, 30));
      if (left.length + 4 > col) out.push(`  ${left}`, ...lines.map((l) => `${" ".repeat(col)}${l}`));
      else out.push(`  ${left.padEnd(col - 2)}${lines[0]}`, ...lines.slice(1).map((l) => `${" ".repeat(col)}${l}`));
    }
  };
  table("Commands", m.commands);
  table("Options", m.options);
  if (m.examples.length) out.push("", "Examples:", ...m.examples.map((e) => `  ${e}`));
  return `${out.join("\n")}\n`;
}

/** The model as a Markdown section of docs/cli.md. */
export function renderMarkdown(m: HelpModel): string {
  const cell = (t: string) => t.replace(/\|/g, "\\|");
  const out = [`## \`${m.path}\``, "", m.description, "", "```", m.usage, "```"];
  if (m.commands.length) out.push("", "| command | what it does |", "| --- | --- |", ...m.commands.map(([c, d]) => `| \`${c}\` | ${cell(d)} |`));
  if (m.options.length) out.push("", "| option | what it does |", "| --- | --- |", ...m.options.map(([o, d]) => `| \`${cell(o)}\` | ${cell(d)} |`));
  if (m.examples.length) out.push("", "```sh", ...m.examples, "```");
  return `${out.join("\n")}\n`;
}

/** docs/cli.md: every command and sub-command, from their definitions. */
export async function cliReference(main: AnyCommand): Promise<string> {
  const sections: string[] = [];
  const walk = async (path: string[], cmd: Any) => {
    const meta = metaOf(cmd);
    if (meta.hidden) return;
    if (path.length > 1 && meta.description?.startsWith("The same as")) return; // aliases: one line in the list is enough
    sections.push(renderMarkdown(await helpModel(path, cmd)));
    const subs = cmd.subCommands ? await resolve(cmd.subCommands) : {};
    for (const [name, sub] of Object.entries(subs)) await walk([...path, name], (await resolve(sub)) as Any);
  };
  await walk(["loom"], main);
  return `# Command reference\n\nGenerated from the command definitions by \`bun scripts/cli-reference.ts\`; \`loom <command> --help\` prints the same.\n\n${sections.join("\n")}`;
}
