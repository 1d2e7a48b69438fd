import { defineCommand } from "citty";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "pathe";
import { projectRoot } from "../../config/load";
import { LoomError } from "../../errors";
import { LOGS_DIR, STATE_DIR } from "../../orchestrator/constants";
import { followLogs } from "../../orchestrator/follow";
import { tailLines } from "../../orchestrator/log-tail";
import { readLedger } from "../../orchestrator/state";
import { projectArg } from "../shared-args";

export default defineCommand({
  meta: {
    name: "logs",
    description: "Show process logs (<name>.log is stdout, <name>.err is stderr); -f follows them",
    examples: ["loom logs", "loom logs researcher -n 100", "loom logs core -f"],
  } as never,
  args: {
    ...projectArg,
    name: { type: "positional", required: false, description: "Process name (default: all)", valueHint: "NAME" },
    follow: { type: "boolean", alias: "f", description: "Keep printing as the logs grow" },
    lines: { type: "string", alias: "n", description: "Lines from the end of each file (default 50)", valueHint: "N" },
    "logs-dir": { type: "string", description: "Logs directory (default: the running project's, else .loom/logs)", valueHint: "DIR" },
  },
  async run({ args }) {
    const root = projectRoot(args.project ?? process.cwd());
    const logsDir = args["logs-dir"] ? resolve(args["logs-dir"]) : (readLedger(root)?.logsDir ?? join(root, STATE_DIR, LOGS_DIR));
    const n = args.lines !== undefined ? Number(args.lines) : 50;
    if (!Number.isInteger(n) || n < 0) throw new LoomError("USAGE", `-n must be a whole number, not "${args.lines}"`);
    if (!existsSync(logsDir)) throw new LoomError("USAGE", `no logs in ${logsDir}`, { hint: "start the project with `loom up` or `loom run` first" });
    const names = [
      ...new Set(
        readdirSync(logsDir)
          .filter((f) => /\.(log|err)$/.test(f))
          .map((f) => f.replace(/\.(log|err)$/, "")),
      ),
    ].sort();
    const wanted = args.name ? [args.name] : names;
    if (args.name && !names.includes(args.name)) throw new LoomError("USAGE", `no logs for "${args.name}" in ${logsDir}`, { hint: `known: ${names.join(", ") || "none"}` });
    const files = wanted
      .flatMap((name) => [
        { name, path: join(logsDir, `${name}.log`), err: false },
        { name, path: join(logsDir, `${name}.err`), err: true },
      ])
      .filter((f) => existsSync(f.path));
    const width = Math.max(4, ...wanted.map((w) => w.length));
    for (const f of files) for (const line of tailLines(f.path, n)) process.stdout.write(`${f.name.padEnd(width)} ${f.err ? "!" : "|"} ${line}\n`);
    if (args.follow) await followLogs(files, (f, line) => process.stdout.write(`${f.name.padEnd(width)} ${f.err ? "!" : "|"} ${line}\n`));
  },
});
