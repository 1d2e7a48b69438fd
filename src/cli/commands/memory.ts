import { existsSync } from "node:fs";
import { join } from "pathe";
import { loomCommand } from "../command";
import { projectRoot } from "../../config/root";
import { MEMORY_DB, STATE_DIR } from "../../constants";
import { LoomError } from "../../errors";
import { neutralize } from "../../logs/printer";
import type { MemoryDb } from "../../bridge/memory-db";
import { log } from "../log";
import { jsonArg, projectArg } from "../shared-args";

/**
 * The project's memory store, read where it is (`.loom/memory.db`, WAL: while the Bridge writes,
 * as after it stopped). `undefined` when nothing was remembered yet: reading creates no file.
 */
async function store(project: string | undefined): Promise<MemoryDb | undefined> {
  const path = join(projectRoot(project ?? process.cwd()), STATE_DIR, MEMORY_DB);
  if (!existsSync(path)) return undefined;
  const { MemoryDb } = await import("../../bridge/memory-db");
  return new MemoryDb(path, Number.MAX_SAFE_INTEGER);
}

const time = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);
const text = (content: unknown) => neutralize(typeof content === "string" ? content : JSON.stringify(content));
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const list = loomCommand({
  meta: { name: "list", description: "The conversations remembered: thread, entries, last written", examples: ["loom memory list", "loom memory list --json"] },
  args: { ...projectArg, ...jsonArg },
  async run({ args }) {
    const db = await store(args.project);
    const threads = db?.threads() ?? [];
    db?.close();
    if (args.json) return out(JSON.stringify(threads));
    if (threads.length === 0) return out("nothing remembered yet");
    for (const t of threads) out(`${neutralize(t.thread).padEnd(32)} ${String(t.entries).padStart(6)} entries  last ${time(t.last)}`);
  },
});

const show = loomCommand({
  meta: { name: "show", description: "A conversation's entries, oldest first", examples: ["loom memory show chat-42", "loom memory show chat-42 --limit 10 --json"] },
  args: {
    ...projectArg,
    thread: { type: "positional", required: true, description: "The thread (conversation) id", valueHint: "THREAD" },
    limit: { type: "string", description: "The latest N entries (default 50)", valueHint: "N" },
    ...jsonArg,
  },
  async run({ args }) {
    const n = Number(args.limit ?? 50);
    if (!Number.isInteger(n) || n < 1) throw new LoomError("USAGE", `--limit must be a whole number above 0, not "${args.limit}"`);
    const db = await store(args.project);
    const entries = db?.history(args.thread, n) ?? [];
    db?.close();
    if (args.json) return out(JSON.stringify(entries));
    for (const e of entries) out(`${time(e.at)}  ${neutralize(e.role).padEnd(10)} ${neutralize(e.agent ?? "-").padEnd(14)} ${text(e.content)}`);
  },
});

const search = loomCommand({
  meta: {
    name: "search",
    description: "Full-text search of the entries (every word, accents folded)",
    examples: ['loom memory search "quarterly revenue"', "loom memory search ada --thread chat-42"],
  },
  args: {
    ...projectArg,
    query: { type: "positional", required: true, description: "Words to find", valueHint: "QUERY" },
    thread: { type: "string", description: "Only in this thread", valueHint: "THREAD" },
    ...jsonArg,
  },
  async run({ args }) {
    const db = await store(args.project);
    const found = db?.search(args.query, 20, args.thread) ?? [];
    db?.close();
    if (args.json) return out(JSON.stringify(found));
    for (const e of found) out(`${neutralize(e.thread).padEnd(20)} ${time(e.at)}  ${neutralize(e.role).padEnd(10)} ${neutralize(e.snippet ?? text(e.content))}`);
  },
});

const exportAll = loomCommand({
  meta: { name: "export", description: "Everything remembered, as one JSON document on stdout (entries and state)", examples: ["loom memory export > memory.json"] },
  args: { ...projectArg },
  async run({ args }) {
    const db = await store(args.project);
    out(JSON.stringify(db?.dump() ?? { entries: [], state: [] }));
    db?.close();
  },
});

const clear = loomCommand({
  meta: {
    name: "clear",
    description: "Forget a thread's entries, or everything (entries and state) with --all",
    examples: ["loom memory clear --thread chat-42", "loom memory clear --all"],
  },
  args: {
    ...projectArg,
    thread: { type: "string", description: "The thread to forget", valueHint: "THREAD" },
    all: { type: "boolean", description: "Every thread and every key" },
  },
  async run({ args }) {
    if (!args.thread === !args.all) throw new LoomError("USAGE", "`loom memory clear` needs exactly one of --thread T or --all", { hint: "loom memory clear --thread chat-42" });
    const db = await store(args.project);
    const n = db?.clear(args.all ? undefined : args.thread) ?? 0;
    db?.close();
    log.success(`forgot ${n} entr${n === 1 ? "y" : "ies"}${args.all ? " and every key" : ` of ${args.thread}`}`);
  },
});

export default loomCommand({
  meta: {
    name: "memory",
    description: "The project's memory store (.loom/memory.db): list conversations, show, search, export, clear",
    examples: ["loom memory list", "loom memory show chat-42", 'loom memory search "invoice"', "loom memory export > memory.json"],
  },
  subCommands: { list, show, search, export: exportAll, clear },
});
