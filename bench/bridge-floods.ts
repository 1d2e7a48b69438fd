/**
 * The memory attacks of the security issue against the embedded Bridge (`loom __bridge`), each
 * measured as the Bridge's RSS and USS before, at the peak during, and after (docs/benchmarks.md):
 * 1. a subscriber that never reads while another agent publishes 4 MB events;
 * 2. a dashboard SSE client that never reads while 300 events of 2 MB are published;
 * 3. 20,000 RegisterAgent calls with no stream (and the size of /api/topology after);
 * 4. 300 MemoryService AppendEvent calls with a 3 MB `type`;
 * and those of the trust issue, through the tools:
 * 5. 200 tool calls with 3 MB arguments to an agent that declared the tool and never reads;
 * 6. 150 publishes on distinct 3 MB topics (and what /api/flow answers after);
 * 7. ten fs:read_file at once of a 13.6 MB file, then of a 1.9 MB one;
 * 8. 300 system:shell `cat /dev/zero` at once.
 * 1-4 must leave the Bridge under 150 MB; 5-8 under 200 MB (the shell flood 250), and each under
 * 150 MB once its caller left. A client that "never reads" is a Python process that
 * stops itself (SIGSTOP) once connected, so its socket really fills: a client in this process
 * would keep reading into its own memory.
 * Run: bun run build && bun bench/bridge-floods.ts (needs /usr/bin/python3 with grpcio, protoc)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import * as grpc from "@grpc/grpc-js";
import { DEBIAN_PYTHON, makePythonStubs } from "../scripts/python-stubs";
import type { ClientEventInit } from "../src/protocol/loom.generated";
import { loomV1, unaryByName } from "../src/protocol/services";
import { grpcHeartbeat } from "../src/net/health";
import { freePort } from "../src/net/ports";
import { fmt, memoryOf, table } from "./lib";

const LOOM = join(resolve(import.meta.dir, ".."), "dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-bench-floods-"));
const port = await freePort("127.0.0.1");
const dashPort = await freePort("127.0.0.1");
const address = `127.0.0.1:${port}`;
const bridge = Bun.spawn([LOOM, "__bridge"], {
  cwd: work,
  env: { PATH: process.env.PATH, LOOM_BRIDGE_ADDR: address, LOOM_DASHBOARD: "true", LOOM_DASHBOARD_PORT: String(dashPort) },
  stdout: "ignore",
  stderr: "inherit",
});
while (!(await grpcHeartbeat(address, 500)).ok) await Bun.sleep(5);
await Bun.sleep(1_500);

const { Bridge, MemoryService } = loomV1();
const client = () => new Bridge(address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 8 << 20 });
/** The answer, or the error (a refusal is what some attacks expect). */
const unary = (c: grpc.Client, m: string, req: unknown): Promise<unknown> =>
  unaryByName(c, c instanceof MemoryService ? MemoryService.service : Bridge.service, m, req).catch((e: Error) => e);

const stubs = makePythonStubs(mkdtempSync(join(tmpdir(), "loom-bench-stubs-")));
/** A Python process that connects (`script` prints "ready" when it has), then stops itself. */
async function stoppedClient(script: string): Promise<{ kill(): void }> {
  const full = `import os, signal, sys\nsys.path.insert(0, ${JSON.stringify(stubs)})\n${script}\nprint("ready", flush=True)\nos.kill(os.getpid(), signal.SIGSTOP)\n`;
  const proc = Bun.spawn([DEBIAN_PYTHON, "-c", full], { stdout: "pipe", stderr: "inherit" });
  for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) if (new TextDecoder().decode(chunk).includes("ready")) break;
  await Bun.sleep(200);
  return { kill: () => proc.kill("SIGKILL") };
}

const rows: (string | number)[][] = [["attack", "before RSS/USS MB", "peak RSS/USS MB", "after RSS/USS MB", "within its bound", "notes"]];
async function attack(name: string, run: (sample: () => void) => Promise<string>, limit = 150): Promise<void> {
  const before = memoryOf(bridge.pid);
  let peak = before;
  const sample = () => {
    const m = memoryOf(bridge.pid);
    if (m.rss > peak.rss) peak = m;
  };
  const sampler = setInterval(sample, 20);
  const notes = await run(sample);
  clearInterval(sampler);
  await Bun.sleep(1_000);
  const after = memoryOf(bridge.pid);
  const pair = (m: { rss: number; uss: number }) => `${fmt(m.rss)} / ${fmt(m.uss)}`;
  rows.push([name, pair(before), pair(peak), pair(after), peak.rss < limit && after.rss < 150 ? "yes" : "NO", notes]);
  console.error(`${name}: done`);
}

await attack("subscriber never reads, 4 MB events", async () => {
  const deaf = await stoppedClient(
    `import grpc, time, loom_pb2 as pb, loom_pb2_grpc as rpc\nstub = rpc.BridgeStub(grpc.insecure_channel("${address}"))\nstub.RegisterAgent(pb.AgentRegisterRequest(agent_id="deaf", subscribed_topics=["flood"]))\ndef gen():\n    yield pb.ClientEvent(ack=pb.Ack(message_id="deaf"))\n    time.sleep(3600)\nit = stub.EventStream(gen())`,
  );
  const pub = client();
  const stream = pub.EventStream();
  stream.on("error", () => {});
  stream.write({ ack: { message_id: "loud" } });
  const payload = Buffer.alloc(4_000_000, 120);
  let sent = 0;
  const started = Date.now();
  // The Bridge stops reading the publisher once the subscriber's queue is full: writes back up here.
  while (sent < 200 && Date.now() - started < 60_000) {
    if (!stream.write({ publish: { topic: "flood", event: { id: String(sent), payload } } })) await new Promise((r) => stream.once("drain", r));
    sent++;
  }
  const took = ((Date.now() - started) / 1000).toFixed(1);
  const metrics = (await (await fetch(`http://127.0.0.1:${dashPort}/api/metrics`)).json()) as { waits: number; stalled: number };
  stream.end();
  pub.close();
  deaf.kill();
  return `${sent} events of 4 MB in ${took} s: the publisher waited (${metrics.waits}), the stopped subscriber was cut after 30 s (${metrics.stalled})`;
});

await attack("SSE client never reads: 300 x 2 MB, then 50,000 events", async () => {
  const sse = await stoppedClient(
    `import socket\ns = socket.create_connection(("127.0.0.1", ${dashPort}))\ns.sendall(b"GET /api/events/stream HTTP/1.1\\r\\nHost: 127.0.0.1:${dashPort}\\r\\n\\r\\n")`,
  );
  const pub = client();
  const stream = pub.EventStream();
  stream.on("error", () => {});
  stream.write({ ack: { message_id: "loud2" } });
  const write = async (m: ClientEventInit) => {
    if (!stream.write(m)) await new Promise((r) => stream.once("drain", r));
  };
  const payload = Buffer.alloc(2_000_000, 121);
  for (let i = 0; i < 300; i++) await write({ publish: { topic: "nobody", event: { id: String(i), payload } } });
  for (let i = 0; i < 50_000; i++) await write({ publish: { topic: "nobody", event: { id: `s${i}`, payload: Buffer.from('{"n": 1}') } } });
  await Bun.sleep(500);
  const status = (await (await fetch(`http://127.0.0.1:${dashPort}/api/events/status`)).json()) as { subscribers: number };
  stream.end();
  pub.close();
  sse.kill();
  return `SSE subscribers after: ${status.subscribers} (the client that stopped reading was cut off)`;
});

await attack("20,000 RegisterAgent, no stream", async () => {
  const c = client();
  for (let i = 0; i < 20_000; i += 100)
    await Promise.all(Array.from({ length: 100 }, (_, j) => unary(c, "RegisterAgent", { agent_id: `ghost-${i + j}`, subscribed_topics: ["a", "b"] })));
  const topology = await (await fetch(`http://127.0.0.1:${dashPort}/api/topology`)).text();
  c.close();
  return `/api/topology ${fmt(topology.length / 1024)} KB`;
});

await attack("300 AppendEvent with a 3 MB type", async () => {
  const m = new MemoryService(address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 8 << 20 });
  const type = "t".repeat(3_000_000);
  let refused = 0;
  for (let i = 0; i < 300; i++) if ((await unary(m, "AppendEvent", { session_id: `s${i}`, event: { type } })) instanceof Error) refused++;
  m.close();
  return `${refused} of 300 refused (INVALID_ARGUMENT)`;
});

await attack(
  "200 tool calls, 3 MB arguments, agent never reads",
  async () => {
    const deaf = await stoppedClient(
      `import grpc, time, loom_pb2 as pb, loom_pb2_grpc as rpc\nstub = rpc.BridgeStub(grpc.insecure_channel("${address}"))\nstub.RegisterAgent(pb.AgentRegisterRequest(agent_id="deaf-tools", tools=[pb.ToolDescriptor(name="deaf:work")]))\ndef gen():\n    yield pb.ClientEvent(ack=pb.Ack(message_id="deaf-tools"))\n    time.sleep(3600)\nit = stub.EventStream(gen())`,
    );
    const c = client();
    const args = JSON.stringify({ blob: "a".repeat(3_000_000) });
    // Those admitted wait for the agent; after 15 s the agent leaves and they fail at once.
    setTimeout(() => deaf.kill(), 15_000);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => unary(c, "ForwardToolCall", { id: `c${i}`, name: "deaf:work", arguments: args, timeout_ms: 3_600_000 })),
    );
    const message = (r: unknown) => (r as { error?: { message?: string } })?.error?.message ?? "";
    const refused = results.filter((r) => /try again later/.test(message(r))).length;
    const left = results.filter((r) => /disconnected before answering/.test(message(r))).length;
    c.close();
    return `${refused} of 200 refused at once (pending calls bounded in bytes, or the agent's queue full); ${left} waited until the agent left`;
  },
  200,
);

await attack(
  "150 publishes on distinct 3 MB topics",
  async () => {
    let ended = 0;
    for (let i = 0; i < 150; i++) {
      const stream = client().EventStream();
      stream.on("error", () => ended++);
      stream.write({ ack: { message_id: `topics${i}` } });
      stream.write({ publish: { topic: `${i}-${"t".repeat(3_000_000)}`, event: { id: String(i), payload: Buffer.from("{}") } } });
      await new Promise((r) => setTimeout(r, 20));
      stream.end();
    }
    await Bun.sleep(500);
    const flow = await (await fetch(`http://127.0.0.1:${dashPort}/api/flow`)).text();
    return `${ended} streams ended (INVALID_ARGUMENT); /api/flow ${fmt(flow.length / 1024)} KB`;
  },
  200,
);

await attack(
  "10 x fs:read_file of 13.6 MB, then of 1.9 MB",
  async () => {
    await Bun.write(join(work, "big.txt"), "b".repeat(13_600_000));
    await Bun.write(join(work, "mid.txt"), "m".repeat(1_900_000));
    const c = client();
    const read = (path: string) => Promise.all(Array.from({ length: 10 }, () => unary(c, "ForwardToolCall", { name: "fs:read_file", arguments: JSON.stringify({ path }) })));
    const big = await read("big.txt");
    const mid = await read("mid.txt");
    c.close();
    const ok = (rs: unknown[]) => rs.filter((r) => (r as { status?: string }).status === "TOOL_OK").length;
    return `13.6 MB: ${ok(big)} of 10 answered (refused: over the read limit); 1.9 MB: ${ok(mid)} of 10`;
  },
  200,
);

await attack(
  "300 x system:shell cat /dev/zero at once",
  async () => {
    const c = client();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 300 }, () =>
        unary(c, "ForwardToolCall", { name: "system:shell", arguments: JSON.stringify({ command: "cat", args: ["/dev/zero"] }), timeout_ms: 120_000 }),
      ),
    );
    c.close();
    const ok = results.filter((r) => (r as { status?: string }).status === "TOOL_OK").length;
    return `${ok} of 300 answered, each output cut at 512 KB as JSON and the command stopped (4 at a time), in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  },
  250,
);

bridge.kill();
rmSync(work, { recursive: true, force: true });
rmSync(stubs, { recursive: true, force: true });
console.log(table(rows));
process.exit(0);
