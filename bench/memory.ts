/**
 * The memory store (bridge/memory-db.ts) at 100,000 entries, against the floor and the store of
 * before, in one run:
 * - appends/s: MemoryDb.append (SQLite WAL + FTS5 index, one transaction each as the tools do),
 *   against appending the same entries as JSON lines to a file (the floor: the bytes, nothing
 *   indexed) and against the in-memory MemoryService store that was all loom had (memory.ts);
 * - search latency (p50, p99 over 200 queries of two words from a vocabulary of 3,000): FTS5,
 *   ranked, against scanning the JSON lines for both words and the in-memory store's substring
 *   scan of one word (its `Retrieve`, the first k matches, unranked), which is what finding cost;
 * - the embedded Bridge's RSS and USS with the full store (100,000 entries through memory:append
 *   over gRPC), against the same Bridge after as many calls that leave the store empty
 *   (memory:get): what the store itself holds, apart from what handling 100,000 calls leaves.
 * Run: bun run build && bun bench/memory.ts [--entries N]
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import * as grpc from "@grpc/grpc-js";
import { MemoryDb } from "../src/bridge/memory-db";
import { MemoryStore } from "../src/bridge/memory";
import { loomV1 } from "../src/protocol/services";
import { freePort } from "../src/net/ports";
import { grpcHeartbeat } from "../src/net/health";
import { fmt, LOOM, memoryOf, numberFlag, table } from "./lib";

const N = numberFlag("entries", 100_000);
const work = mkdtempSync(join(tmpdir(), "loom-bench-memory-"));
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
// A vocabulary of 3,000 made-up words (a chat's is larger): a two-word query matches a few entries, as a real one does.
const SYLLABLES = "ka lo mi ne ru ta vo si pe da gu ri zo fe ba no li te ma su".split(" ");
const WORDS = Array.from({ length: 3_000 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => SYLLABLES[Math.floor(rand() * SYLLABLES.length)]).join(""));
const sentence = (i: number) => `${Array.from({ length: 12 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(" ")} #${i}`;
const entries = Array.from({ length: N }, (_, i) => ({ thread: `t${i % 500}`, role: i % 2 ? "assistant" : "user", content: sentence(i) }));
const queries = Array.from({ length: 200 }, () => `${WORDS[Math.floor(rand() * WORDS.length)]} ${WORDS[Math.floor(rand() * WORDS.length)]}`);
const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
const rows: (string | number)[][] = [["measure", "SQLite store (loom)", "JSON lines (floor)", "in-memory store (before)", "loom / floor", "loom / before"]];

// Appends.
const db = new MemoryDb(join(work, "memory.db"), Number.MAX_SAFE_INTEGER);
let t = performance.now();
for (const e of entries) db.append(e.thread, e.role, e.content, "bench");
const sqliteRate = N / ((performance.now() - t) / 1000);
const jsonl = join(work, "floor.jsonl");
t = performance.now();
for (const e of entries) appendFileSync(jsonl, `${JSON.stringify({ ...e, agent: "bench", at: Date.now() })}\n`);
const floorRate = N / ((performance.now() - t) / 1000);
const before = new MemoryStore();
t = performance.now();
for (const [i, e] of entries.entries()) before.appendEvent({ session_id: e.thread, event: { id: String(i), type: e.content, source: e.role, timestamp_ms: i } });
const beforeRate = N / ((performance.now() - t) / 1000);
rows.push([`appends/s (${N.toLocaleString("en")} entries)`, fmt(sqliteRate), fmt(floorRate), fmt(beforeRate), fmt(sqliteRate / floorRate, 2), fmt(sqliteRate / beforeRate, 2)]);

// Searches.
const timed = (fn: (q: string) => unknown) =>
  queries.map((q) => {
    const s = performance.now();
    fn(q);
    return performance.now() - s;
  });
const fts = timed((q) => db.search(q, 10));
const scan = timed((q) => {
  const words = q.split(" ");
  const hits: string[] = [];
  for (const line of readFileSync(jsonl, "utf8").split("\n")) if (words.every((w) => line.includes(w)) && hits.push(line) >= 10) break;
});
const substring = timed((q) => before.retrieve({ session_id: "", query: q.split(" ")[0]!, k: 10 }));
for (const p of [50, 99])
  rows.push([
    `search p${p} (ms, 10 results)`,
    fmt(pct(fts, p), 2),
    fmt(pct(scan, p), 2),
    fmt(pct(substring, p), 2),
    fmt(pct(fts, p) / pct(scan, p), 2),
    fmt(pct(fts, p) / pct(substring, p), 2),
  ]);
db.close();

// The Bridge with a full store, through its tools.
/** The Bridge after `calls` tool calls: memory:append (the store fills) or memory:get (the same calls, the store stays empty). */
async function bridgeWith(calls: number, tool: "memory:append" | "memory:get" = "memory:append"): Promise<ReturnType<typeof memoryOf>> {
  const port = await freePort("127.0.0.1");
  const dir = mkdtempSync(join(work, "b-"));
  // Spans off in both: they are bounded on their own (bench/bridge.ts), and here only the store differs.
  const env = { ...process.env, LOOM_BRIDGE_ADDR: `127.0.0.1:${port}`, LOOM_MEMORY_DB: join(dir, "memory.db"), LOOM_TRACES: "off" };
  const proc = Bun.spawn([LOOM, "__bridge"], { cwd: dir, env, stdout: "ignore", stderr: "inherit" });
  while (!(await grpcHeartbeat(`127.0.0.1:${port}`, 500)).ok) await Bun.sleep(5);
  const client = new (loomV1().Bridge)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (e: (typeof entries)[number]) =>
    new Promise<void>((ok, fail) =>
      client.ForwardToolCall({ id: "", name: tool, arguments: JSON.stringify(tool === "memory:get" ? { key: e.thread } : e), timeout_ms: 5000 }, (err) => (err ? fail(err) : ok())),
    );
  for (let i = 0; i < calls; i += 64) await Promise.all(entries.slice(i, Math.min(i + 64, calls)).map(call));
  await Bun.sleep(1_500); // settled: what stays is what the store needs
  const memory = memoryOf(proc.pid);
  client.close();
  proc.kill();
  await proc.exited;
  return memory;
}
const empty = await bridgeWith(0);
const reads = await bridgeWith(N, "memory:get");
const full = await bridgeWith(N);
console.log(table(rows));
console.log(
  table([
    ["the embedded Bridge (MB)", "started", `after ${N.toLocaleString("en")} reads (store empty)`, `after ${N.toLocaleString("en")} appends (store full)`, "full / reads"],
    ["RSS", fmt(empty.rss, 1), fmt(reads.rss, 1), fmt(full.rss, 1), fmt(full.rss / reads.rss, 2)],
    ["USS", fmt(empty.uss, 1), fmt(reads.uss, 1), fmt(full.uss, 1), fmt(full.uss / reads.uss, 2)],
  ]),
);
rmSync(work, { recursive: true, force: true });
process.exit(0);
