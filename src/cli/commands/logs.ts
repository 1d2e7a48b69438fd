import { loomCommand } from "../command";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "pathe";
import { projectRoot } from "../../config/root";
import { LoomError } from "../../errors";
import { LOGS_DIR, STATE_DIR } from "../../constants";
import { byTime, type FollowedFile, followLogs } from "../../logs/follow";
import { type LogEntry, tailEntries } from "../../logs/tail";
import { neutralize } from "../../logs/printer";
import { readLedger } from "../../state/ledger";
import { projectArg } from "../shared-args";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`) or a date and time (`2026-11-26T15:00:00Z`). */
export function sinceTime(value: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]!]!;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new LoomError("USAGE", `--since must be a duration like 10m, 2h or 1d, or a date and time, not "${value}"`);
  return at;
}

export default loomCommand({
  meta: {
    name: "logs",
    description: "Show process logs, all processes interleaved by time (<name>.log is stdout `|`, <name>.err is stderr `!`); -f follows them",
    examples: ["loom logs", "loom logs researcher -n 100", "loom logs --since 10m --timestamps", "loom logs core -f", "loom logs --json | jq .text"],
  },
  args: {
    ...projectArg,
    name: { type: "positional", required: false, description: "Process name (default: all)", valueHint: "NAME" },
    follow: { type: "boolean", alias: "f", description: "Keep printing as the logs grow" },
    lines: { type: "string", alias: "n", description: "The last N lines, of all the processes shown together (default: 50 of each; all of them with --since)", valueHint: "N" },
    since: { type: "string", description: "Only lines loom read since then: a duration (10m, 2h, 1d) or a date and time", valueHint: "WHEN" },
    timestamps: { type: "boolean", alias: "t", description: "Show when loom read each line" },
    json: { type: "boolean", description: "One JSON object per line: time, process, stream, text" },
    "logs-dir": { type: "string", description: "Logs directory (default: the running project's, else .loom/logs)", valueHint: "DIR" },
  },
  async run({ args }) {
    const root = projectRoot(args.project ?? process.cwd());
    const logsDir = args["logs-dir"] ? resolve(args["logs-dir"]) : (readLedger(root)?.logsDir ?? join(root, STATE_DIR, LOGS_DIR));
    const since = args.since !== undefined ? sinceTime(args.since) : undefined;
    const n = args.lines !== undefined ? Number(args.lines) : since !== undefined ? Number.MAX_SAFE_INTEGER : 50;
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
    const files: FollowedFile[] = wanted
      .flatMap((name) => [
        { name, path: join(logsDir, `${name}.log`), err: false },
        { name, path: join(logsDir, `${name}.err`), err: true },
      ])
      .filter((f) => existsSync(f.path));
    const width = Math.max(4, ...wanted.map((w) => w.length));
    const show = (f: FollowedFile, entry: LogEntry) => {
      if (since !== undefined && (entry.time === undefined || entry.time < since)) return;
      const time = entry.time !== undefined ? new Date(entry.time).toISOString() : undefined;
      if (args.json) return void process.stdout.write(`${JSON.stringify({ time: time ?? null, process: f.name, stream: f.err ? "stderr" : "stdout", text: entry.text })}\n`);
      const stamp = args.timestamps ? `${time ?? "-".padEnd(24)} ` : "";
      process.stdout.write(`${stamp}${f.name.padEnd(width)} ${f.err ? "!" : "|"} ${neutralize(entry.text)}\n`);
    };
    // With --since the whole current file is read (at most its rotation size); else its tail.
    // loom's start and end markers are written to both files of a process: shown once, from its stdout.
    const lines = files.flatMap((f) =>
      tailEntries(f.path, n, since !== undefined ? Math.max(statSync(f.path).size, 1) : undefined)
        .filter((entry) => !(f.err && entry.text.startsWith("--- loom ")))
        .map((entry) => ({ f, entry })),
    );
    // -n N: the last N lines of all of them together, as `docker compose logs --tail` per service and `tail` overall.
    const merged = byTime(lines);
    for (const { f, entry } of args.lines === undefined ? merged : n === 0 ? [] : merged.slice(-n)) show(f, entry);
    if (args.follow) await followLogs(files, show);
  },
});
