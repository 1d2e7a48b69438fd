/**
 * Soak: the embedded Bridge (`loom up --detach`, full mode) with 100 agents that publish and
 * subscribe, one more that listens to all of them (`soak.*`), and a dashboard client reading the
 * event stream, for 10 minutes (issue 20). Load: each agent sends 6 requests a second to a random
 * other agent, which answers: an hour of 100 agents sending one request a second, in 10 minutes.
 * Every 10 s: the Bridge's RSS, USS and PSS, and the round trips' p50/p99 in that window. After a
 * one-minute warm-up each must be flat: the slopes per minute are printed.
 *
 * Each agent has its own HTTP/2 connection, as separate processes would.
 * Run: bun run build && bun bench/soak-bridge.ts [--minutes 10] [--agents 100] [--rate 6]
 */
import type { BridgeClient } from "../src/protocol/loom.generated";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import * as grpc from "@grpc/grpc-js";
import { loomV1 } from "../src/protocol/services";
import { fmt, loomIn, memoryOf, numberFlag, slope, table } from "./lib";

const MINUTES = numberFlag("minutes", 10);
const AGENTS = numberFlag("agents", 100);
const RATE = numberFlag("rate", 6);
const root = mkdtempSync(join(tmpdir(), "loom-soak-bridge-"));
const env = { PATH: process.env.PATH!, HOME: root, NO_COLOR: "1", XDG_STATE_HOME: join(root, "state") };
writeFileSync(join(root, "loom.toml"), '[bridge]\nruntime = "embedded"\n');

type Stream = ReturnType<BridgeClient["EventStream"]>;
type Client = BridgeClient;
const { Bridge } = loomV1();

async function agent(address: string, id: string, topics: string[]): Promise<{ c: Client; s: Stream }> {
  const c = new Bridge(address, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  await new Promise<void>((ok, fail) => c.RegisterAgent({ agent_id: id, subscribed_topics: topics, tools: [] }, (e) => (e ? fail(e) : ok())));
  const s = c.EventStream();
  s.on("error", () => {});
  s.write({ ack: { message_id: id } });
  return { c, s };
}

const loom = (args: string[]) => loomIn(root, env, args);

interface Sample {
  minute: number;
  mem: ReturnType<typeof memoryOf>;
  p50: number;
  p99: number;
  answered: number;
}
const samples: Sample[] = [];
const payload = new Uint8Array(256).fill(120);
let sent = 0;
let answered = 0;
let listened = 0;
let sseBytes = 0;
try {
  await loom(["up", "--detach", "--bridge-port", "0", "--dashboard-port", "0"]);
  const ledger = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
  const pid: number = ledger.children.core.pid;
  const address: string = ledger.bridge.address;
  const sse = new AbortController();
  void fetch(`${ledger.dashboard}/api/events/stream`, { signal: sse.signal })
    .then(async (r) => {
      for await (const chunk of r.body as ReadableStream<Uint8Array>) sseBytes += chunk.length;
    })
    .catch(() => {});
  const pending = new Map<string, number>();
  let window: number[] = [];
  const agents = await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(address, `a${i}`, [`soak.${i}`, `soak.reply.${i}`])));
  const listener = await agent(address, "listener", ["soak.*"]);
  listener.s.on("data", () => listened++);
  for (const { s } of agents)
    s.on("data", (m) => {
      const e = m.delivery?.event;
      if (!e) return;
      if (e.type === "ping") s.write({ publish: { topic: `soak.reply.${e.metadata.from}`, event: { id: e.id, type: "pong", payload } } });
      else {
        const t = pending.get(e.id);
        if (t === undefined) return;
        pending.delete(e.id);
        window.push(performance.now() - t);
        answered++;
      }
    });
  const started = performance.now();
  const end = started + MINUTES * 60_000;
  let nextSample = started + 10_000;
  let seq = 0;
  const tickMs = 10;
  while (performance.now() < end) {
    // Every tick (10 ms), each agent sends RATE/100 requests on average, to a random agent.
    for (let i = 0; i < agents.length; i++)
      if (Math.random() < (RATE * tickMs) / 1000) {
        const id = `${i}:${seq++}`;
        pending.set(id, performance.now());
        const to = Math.floor(Math.random() * agents.length);
        agents[i]!.s.write({ publish: { topic: `soak.${to}`, event: { id, type: "ping", payload, metadata: { from: String(i) } } } });
        sent++;
      }
    await Bun.sleep(tickMs);
    if (performance.now() >= nextSample) {
      window.sort((a, b) => a - b);
      samples.push({
        minute: (performance.now() - started) / 60_000,
        mem: memoryOf(pid),
        p50: window[Math.floor(window.length * 0.5)] ?? 0,
        p99: window[Math.floor(window.length * 0.99)] ?? 0,
        answered: window.length,
      });
      window = [];
      nextSample += 10_000;
      const s = samples.at(-1)!;
      process.stderr.write(`\r${fmt(s.minute, 1)} min: ${fmt(s.mem.rss, 1)} MB RSS, p50 ${fmt(s.p50, 2)} ms, p99 ${fmt(s.p99, 2)} ms, ${sent} sent   `);
    }
  }
  process.stderr.write("\n");
  for (const { s, c } of [...agents, listener]) {
    s.end();
    c.close();
  }
  sse.abort();
  const lost = [...pending.values()].filter((t) => t < performance.now() - 10_000).length;
  const settled = samples.filter((s) => s.minute >= 1);
  const per = (pick: (s: Sample) => number) => slope(settled.map((s) => [s.minute, pick(s)]));
  const first = settled[0]!;
  const last = samples.at(-1)!;
  const peak = Math.max(...samples.map((s) => s.mem.rss));
  const rows: (string | number)[][] = [["measure", `at ${fmt(first.minute, 1)} min`, `at ${fmt(last.minute, 1)} min`, "slope per minute", "peak"]];
  const row = (name: string, pick: (s: Sample) => number, unit: string, digits = 1) =>
    rows.push([
      name,
      `${fmt(pick(first), digits)}${unit}`,
      `${fmt(pick(last), digits)}${unit}`,
      `${per(pick) >= 0 ? "+" : ""}${fmt(per(pick), 3)}${unit}`,
      `${fmt(Math.max(...samples.map(pick)), digits)}${unit}`,
    ]);
  row("Bridge RSS", (s) => s.mem.rss, " MB");
  row("Bridge USS", (s) => s.mem.uss, " MB");
  row("Bridge PSS", (s) => s.mem.pss, " MB");
  row("round trip p50", (s) => s.p50, " ms", 2);
  row("round trip p99", (s) => s.p99, " ms", 2);
  console.log(
    `${AGENTS} agents + 1 listener + 1 dashboard stream, ${MINUTES} min: ${sent} requests, ${answered} answered, ${lost} unanswered after 10 s; the listener received ${listened}, the dashboard stream ${fmt(sseBytes / 1e6)} MB; Bridge peak RSS ${fmt(peak, 1)} MB\n`,
  );
  console.log(table(rows));
} finally {
  await loom(["down"]).catch((e) => console.error(e));
  rmSync(root, { recursive: true, force: true });
}
