/**
 * The embedded Bridge against a peer and a floor, in one run: a Python grpcio Bridge stand-in
 * doing the same forwarding (bench/python-bridge.py; the Rust runtime cannot be built here) and a
 * raw grpc-js echo server in its own process (bench/echo-server.ts, the floor: the same wire and
 * library, no Bridge logic; run by `bun`, not compiled).
 * - time from exec to the first answered Heartbeat;
 * - event round trip between two agents (A publishes, B answers, A receives), p50 and p99;
 * - fan-out deliveries/s to 10 and 100 subscribers;
 * - RSS, USS and PSS idle (settled, 1.5 s after ready), with 101 agents connected at the end of the
 *   fan-out, and 2 s later (the Bridge collects once a burst is over: server.ts);
 * loom in full mode (LOOM_DASHBOARD=true) with the dashboard's event stream read all along, as an
 * open page reads it (the peer and the floor have no dashboard), alone, and as `loom up` runs it
 * beside its supervisor ("its tree": the executable's pages shared, as in every real run);
 * and loom with its spans off (LOOM_TRACES=off) beside it, for what tracing costs (the traced one
 * keeps its spans in a trace history, .loom/traces.db, as `loom run` does).
 * Run: bun run build && bun bench/bridge.ts (needs /usr/bin/python3 with grpcio, protoc, grpc_python_plugin)
 */
import type { BridgeClient } from "../src/protocol/loom.generated";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import * as grpc from "@grpc/grpc-js";
import { DEBIAN_PYTHON, makePythonStubs } from "../scripts/python-stubs";
import { loomV1 } from "../src/protocol/services";
import { freePort } from "../src/net/ports";
import { grpcHeartbeat } from "../src/net/health";
import { fmt, median, memoryOf, table } from "./lib";

const ROOT = resolve(import.meta.dir, "..");
const LOOM = join(ROOT, "dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-bench-bridge-"));
const rows: (string | number)[][] = [
  ["measure", "embedded (loom)", "loom, traces off", "loom up (its tree)", "python grpcio", "floor (grpc-js echo)", "loom / python", "loom / floor", "traces on / off"],
];

type Stream = ReturnType<BridgeClient["EventStream"]>;
type Client = BridgeClient;
const { Bridge } = loomV1();
const connect = (address: string) => new Bridge(address, grpc.credentials.createInsecure());

async function agent(address: string, id: string, topics: string[]): Promise<{ c: Client; s: Stream }> {
  const c = connect(address);
  await new Promise<void>((ok, fail) => c.RegisterAgent({ agent_id: id, subscribed_topics: topics, tools: [] }, (e) => (e ? fail(e) : ok())));
  const s = c.EventStream();
  s.write({ ack: { message_id: id } });
  return { c, s };
}

async function until(address: string): Promise<void> {
  while (!(await grpcHeartbeat(address, 500)).ok) await Bun.sleep(1);
}

interface Result {
  readyMs?: number;
  p50: number;
  p99: number;
  fan10: number;
  fan100: number;
  idle?: ReturnType<typeof memoryOf>;
  load?: ReturnType<typeof memoryOf>;
  settled?: ReturnType<typeof memoryOf>;
}

/** Reads the dashboard's event stream (SSE) until aborted: what an open page costs the Bridge. */
async function readDashboard(port: number, signal: AbortSignal): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/api/events/stream`, { signal });
  if (!res.ok || !res.body) throw new Error(`the dashboard's event stream answered ${res.status}`);
  try {
    for await (const _ of res.body);
  } catch {} // aborted
}

async function measure(address: string, pid?: number, dashboardPort?: number): Promise<Result> {
  await Bun.sleep(1_500); // settled: each server has done what it does after start-up
  const page = new AbortController();
  if (dashboardPort) void readDashboard(dashboardPort, page.signal);
  const idle = pid ? memoryOf(pid) : undefined;
  // Round trip: A publishes ping.n; B (subscribed ping.*) publishes pong.n; A (pong.*) receives.
  const a = await agent(address, "rt-a", ["pong.*"]);
  const b = await agent(address, "rt-b", ["ping.*"]);
  b.s.on("data", (m) => m.msg === "delivery" && b.s.write({ publish: { topic: "pong.x", event: m.delivery!.event } }));
  await Bun.sleep(200);
  const times: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const t = performance.now();
    const got = new Promise<void>((ok) => a.s.once("data", () => ok()));
    a.s.write({ publish: { topic: "ping.x", event: { id: String(i) } } });
    await got;
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  for (const x of [a, b]) {
    x.s.end();
    x.c.close();
  }
  let load: ReturnType<typeof memoryOf> | undefined;
  let settled: ReturnType<typeof memoryOf> | undefined;
  const fan = async (n: number): Promise<number> => {
    const subs = await Promise.all(Array.from({ length: n }, (_, i) => agent(address, `fan-${n}-${i}`, ["fan.*"])));
    const pub = await agent(address, `pub-${n}`, []);
    await Bun.sleep(300);
    // Waves of 100 events, each delivered before the next is sent: sustained throughput, with no
    // event dropped by a subscriber's bounded queue (512) as a burst of thousands would be.
    const waves = 20;
    const wave = 100;
    let got = 0;
    let waiting: (() => void) | undefined;
    let target = 0;
    for (const s of subs) s.s.on("data", () => ++got >= target && waiting?.());
    const t = performance.now();
    for (let w = 0; w < waves; w++) {
      target = n * wave * (w + 1);
      const done = new Promise<void>((ok) => (waiting = ok));
      for (let i = 0; i < wave; i++) pub.s.write({ publish: { topic: "fan.x", event: { id: `${w}-${i}` } } });
      await Promise.race([done, Bun.sleep(10_000)]);
    }
    const rate = got / ((performance.now() - t) / 1000);
    if (pid && n === 100) {
      load = memoryOf(pid); // 101 agents still connected, after 200,000 deliveries
      await Bun.sleep(2_000);
      settled = memoryOf(pid); // and once the Bridge has been quiet for a while
    }
    for (const x of [...subs, pub]) {
      x.s.end();
      x.c.close();
    }
    return rate;
  };
  const fan10 = await fan(10);
  const fan100 = await fan(100);
  page.abort();
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]!, fan10, fan100, idle, load, settled };
}

async function start(argv: string[], env: Record<string, string>): Promise<{ proc: ReturnType<typeof Bun.spawn>; address: string; readyMs: number; dashboardPort?: number }> {
  const address = `127.0.0.1:${await freePort("127.0.0.1")}`;
  const readies: number[] = [];
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  for (let i = 0; i < 5; i++) {
    proc?.kill();
    await proc?.exited;
    const t = performance.now();
    proc = Bun.spawn(argv, { env: { ...process.env, ...env, LOOM_BRIDGE_ADDR: address }, stdout: "ignore", stderr: "inherit" });
    await until(address);
    readies.push(performance.now() - t);
  }
  return { proc: proc!, address, readyMs: median(readies), dashboardPort: env.LOOM_DASHBOARD_PORT ? Number(env.LOOM_DASHBOARD_PORT) : undefined };
}

async function stop(proc: ReturnType<typeof Bun.spawn>): Promise<void> {
  proc.kill();
  await proc.exited;
}

/**
 * The Bridge as `loom up` runs it in full mode (dashboard, span history on disk), measured in its
 * process tree: its supervisor maps the same executable, so USS counts what the Bridge alone holds.
 */
async function inTree(): Promise<Result> {
  const root = join(work, "tree");
  mkdirSync(root);
  writeFileSync(join(root, "loom.toml"), '[bridge]\nruntime = "embedded"\nmode = "full"\n');
  const env = { ...process.env, HOME: root, XDG_STATE_HOME: join(root, "state"), NO_COLOR: "1" };
  const up = Bun.spawnSync([LOOM, "up", "--detach", "--bridge-port", "0", "--dashboard-port", "0"], { cwd: root, env });
  if (up.exitCode !== 0) throw new Error(`loom up failed: ${up.stderr}`);
  try {
    const ledger = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
    const bridge = ledger.children.core ?? ledger.children.bridge;
    return await measure(ledger.bridge.address, bridge.pid, Number(new URL(ledger.dashboard).port));
  } finally {
    Bun.spawnSync([LOOM, "down"], { cwd: root, env });
  }
}

const stubs = join(work, "stubs");
Bun.spawnSync(["mkdir", "-p", stubs]);
makePythonStubs(stubs);
const started: ReturnType<typeof Bun.spawn>[] = [];
try {
  const full = async () => ({ LOOM_DASHBOARD: "true", LOOM_DASHBOARD_HOST: "127.0.0.1", LOOM_DASHBOARD_PORT: String(await freePort("127.0.0.1")) });
  // Each alone (the one before stopped), so that its executable's pages are its own in USS.
  const loom = await start([LOOM, "__bridge"], { ...(await full()), LOOM_TRACES_DB: join(work, "traces.db") }); // spans kept on disk too, as under `loom run`
  started.push(loom.proc);
  const loomResult = { ...(await measure(loom.address, loom.proc.pid, loom.dashboardPort)), readyMs: loom.readyMs };
  await stop(loom.proc);
  const untraced = await start([LOOM, "__bridge"], { ...(await full()), LOOM_TRACES: "off" });
  started.push(untraced.proc);
  const offResult = { ...(await measure(untraced.address, untraced.proc.pid, untraced.dashboardPort)), readyMs: untraced.readyMs };
  await stop(untraced.proc);
  const treeResult = await inTree();
  const py = await start([DEBIAN_PYTHON, join(ROOT, "bench/python-bridge.py")], { PYTHONPATH: stubs });
  started.push(py.proc);
  const pyResult = { ...(await measure(py.address, py.proc.pid)), readyMs: py.readyMs };
  const echo = await start([process.execPath, join(ROOT, "bench/echo-server.ts")], {});
  started.push(echo.proc);
  const floor = { ...(await measure(echo.address, echo.proc.pid)), readyMs: echo.readyMs };
  const row = (name: string, pick: (r: Result) => number | undefined, digits = 1, lowerIsBetter = true) => {
    const l = pick(loomResult);
    const o = pick(offResult);
    const t = pick(treeResult);
    const p = pick(pyResult);
    const f = pick(floor);
    const ratio = (x?: number, y?: number) => (x === undefined || y === undefined ? "" : fmt(lowerIsBetter ? x / y : x / y, 2));
    rows.push([name, fmt(l, digits), fmt(o, digits), fmt(t, digits), fmt(p, digits), fmt(f, digits), ratio(l, p), ratio(l, f), ratio(l, o)]);
  };
  row("exec to ready (ms)", (r) => r.readyMs);
  row("round trip p50 (ms)", (r) => r.p50, 2);
  row("round trip p99 (ms)", (r) => r.p99, 2);
  row("fan-out to 10, deliveries/s", (r) => r.fan10, 0, false);
  row("fan-out to 100, deliveries/s", (r) => r.fan100, 0, false);
  row("RSS idle (MB)", (r) => r.idle?.rss);
  row("USS idle (MB)", (r) => r.idle?.uss);
  row("PSS idle (MB)", (r) => r.idle?.pss);
  row("RSS, 101 agents connected (MB)", (r) => r.load?.rss);
  row("USS, 101 agents connected (MB)", (r) => r.load?.uss);
  row("PSS, 101 agents connected (MB)", (r) => r.load?.pss);
  row("RSS, the same 2 s later (MB)", (r) => r.settled?.rss);
  row("USS, the same 2 s later (MB)", (r) => r.settled?.uss);
  row("PSS, the same 2 s later (MB)", (r) => r.settled?.pss);
  console.log(table(rows));
} finally {
  for (const p of started) p.kill();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
