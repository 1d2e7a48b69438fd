/**
 * Request/reply round trips between two agents on the embedded Bridge (`loom __bridge`), p50 and
 * p99 over 2,000 sequential requests, three ways in one run:
 * - two agents of loom's TypeScript SDK (src/sdk: `ctx.request`, `ctx.reply`);
 * - the floor: two raw grpc-js clients doing the same on the wire (correlation id, reply topic);
 * - two Python agents on the Bridge protocol with Debian's grpcio (bench/python-reqrep.py).
 * Run: bun run build && bun bench/sdk.ts (needs /usr/bin/python3 with grpcio, protoc, grpc_python_plugin)
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import * as grpc from "@grpc/grpc-js";
import { DEBIAN_PYTHON, makePythonStubs } from "../scripts/python-stubs";
import { loomV1 } from "../src/protocol/services";
import { grpcHeartbeat } from "../src/net/health";
import { freePort } from "../src/net/ports";
import { Agent } from "../src/sdk";
import { fmt, table } from "./lib";

const ROOT = resolve(import.meta.dir, "..");
const N = 2_000;
const work = mkdtempSync(join(tmpdir(), "loom-bench-sdk-"));
const address = `127.0.0.1:${await freePort("127.0.0.1")}`;
const bridge = Bun.spawn([join(ROOT, "dist/loom"), "__bridge"], { cwd: work, env: { PATH: process.env.PATH, LOOM_BRIDGE_ADDR: address }, stdout: "ignore", stderr: "inherit" });
const quantiles = (times: number[]) => {
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]! };
};

async function sdk(): Promise<{ p50: number; p99: number }> {
  const responder = new Agent({
    id: "sdk-responder",
    address,
    topics: ["bench.ask"],
    log: () => {},
    onEvent: (ctx, topic, e) => (topic === "bench.ask" ? ctx.reply(e, { type: "bench.answer" }) : undefined),
  });
  const requester = new Agent({ id: "sdk-requester", address, log: () => {} });
  await responder.start();
  await requester.start();
  await Bun.sleep(300);
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await requester.ctx.request("bench.ask", { type: "bench.q" });
    times.push(performance.now() - t);
  }
  await requester.stop();
  await responder.stop();
  return quantiles(times);
}

async function raw(): Promise<{ p50: number; p99: number }> {
  const { Bridge } = loomV1();
  const open = async (id: string, topics: string[]) => {
    const c = new Bridge(address, grpc.credentials.createInsecure());
    await new Promise<void>((ok, fail) => c.RegisterAgent({ agent_id: id, subscribed_topics: topics, tools: [] }, (e: Error | null) => (e ? fail(e) : ok())));
    const s = c.EventStream();
    s.write({ ack: { message_id: id } });
    return { c, s };
  };
  const responder = await open("raw-responder", ["bench.ask"]);
  const requester = await open("raw-requester", ["agent.raw-requester.replies"]);
  responder.s.on("data", (m) => {
    const meta = m.delivery?.event.metadata ?? {};
    responder.s.write({ publish: { topic: meta["loom.reply_to"], event: { id: "r", metadata: { "loom.correlation_id": meta["loom.correlation_id"] } } } });
  });
  await Bun.sleep(300);
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const id = String(i);
    const t = performance.now();
    const got = new Promise<void>((ok) => {
      const on = (m: { delivery?: { event: { metadata: Record<string, string> } } }) => {
        if (m.delivery?.event.metadata["loom.correlation_id"] !== id) return;
        requester.s.off("data", on);
        ok();
      };
      requester.s.on("data", on);
    });
    requester.s.write({ publish: { topic: "bench.ask", event: { id, metadata: { "loom.correlation_id": id, "loom.reply_to": "agent.raw-requester.replies" } } } });
    await got;
    times.push(performance.now() - t);
  }
  for (const x of [requester, responder]) {
    x.s.end();
    x.c.close();
  }
  return quantiles(times);
}

async function python(): Promise<{ p50: number; p99: number }> {
  const stubs = join(work, "stubs");
  mkdirSync(stubs);
  makePythonStubs(stubs);
  const env = { ...process.env, PYTHONPATH: stubs, LOOM_BRIDGE_ADDR: address };
  const responder = Bun.spawn([DEBIAN_PYTHON, join(ROOT, "bench/python-reqrep.py"), "responder"], { env, stdout: "pipe", stderr: "inherit" });
  const reader = responder.stdout.getReader();
  await reader.read(); // "ready"
  const requester = Bun.spawn([DEBIAN_PYTHON, join(ROOT, "bench/python-reqrep.py"), "requester", String(N)], { env, stdout: "pipe", stderr: "inherit" });
  const out = await new Response(requester.stdout).text();
  responder.kill();
  return JSON.parse(out);
}

try {
  while (!(await grpcHeartbeat(address, 500)).ok) await Bun.sleep(5);
  const s = await sdk();
  const r = await raw();
  const p = await python();
  console.log(
    table([
      ["request/reply, ms", "loom SDK", "raw grpc-js (floor)", "python grpcio", "SDK / floor", "SDK / python"],
      ["p50", fmt(s.p50, 3), fmt(r.p50, 3), fmt(p.p50, 3), fmt(s.p50 / r.p50, 2), fmt(s.p50 / p.p50, 2)],
      ["p99", fmt(s.p99, 3), fmt(r.p99, 3), fmt(p.p99, 3), fmt(s.p99 / r.p99, 2), fmt(s.p99 / p.p99, 2)],
    ]),
  );
} finally {
  bridge.kill();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
