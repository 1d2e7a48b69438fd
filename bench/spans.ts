/**
 * Spans per second that loom's trace machinery sustains, each against a floor in the same run:
 * - the store with its history (SpanStore + SpanDb: record, then the batched SQLite write) against
 *   appending the same spans as JSON lines to a file (the physical floor of keeping them);
 * - the OTLP exporter (HTTP/protobuf and gRPC, batches of 512 back to back) against posting the
 *   same encoded batch to the same collector with nothing else done;
 * - the OTLP receiver of `loom __bridge` (HTTP/protobuf on the dashboard's address, gRPC on the
 *   Bridge's) taking 512-span batches from 4 senders, against a server that reads and drops them.
 * The collectors and the floor server are separate `bun` processes, so they do not share the
 * measured loop.
 * Run: bun run build && bun bench/spans.ts
 */
import { unaryByName } from "../src/protocol/services";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import * as grpc from "@grpc/grpc-js";
import { collectorService, encode, traceRequestOf } from "../src/telemetry/otlp";
import { exportTelemetry } from "../src/bridge/otlp-export";
import { SpanDb } from "../src/telemetry/span-db";
import { type SpanData, SpanStore } from "../src/telemetry/spans";
import { freePort } from "../src/net/ports";
import { fmt, LOOM, table } from "./lib";

const work = mkdtempSync(join(tmpdir(), "loom-bench-spans-"));
const procs: ReturnType<typeof Bun.spawn>[] = [];
const rows: (string | number)[][] = [["measure", "loom, spans/s", "floor, spans/s", "loom / floor"]];
const ctx = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", flags: "01" };
const sample = (i: number): SpanData => ({
  trace_id: ctx.traceId,
  span_id: (i + 1).toString(16).padStart(16, "0"),
  parent_span_id: ctx.spanId,
  name: "bridge.forward",
  start_time: Date.now() * 1e6,
  duration: 0,
  attributes: { topic: "bench.topic", agent_id: `agent-${i % 100}`, event_id: `e${i}` },
  status: "ok",
  error_message: null,
});

// A collector (or the floor server) in a process of its own: reads each body, answers an empty success.
const SINK = `
const grpc = require(${JSON.stringify(require.resolve("@grpc/grpc-js"))});
const http = Bun.serve({ hostname: "127.0.0.1", port: 0, async fetch(req) { await req.arrayBuffer(); return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } }); } });
const server = new grpc.Server();
const path = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
server.addService({ Export: { path, requestStream: false, responseStream: false, requestSerialize: (b) => b, requestDeserialize: (b) => b, responseSerialize: () => Buffer.alloc(0), responseDeserialize: (b) => b } }, { Export: (_c, done) => done(null, Buffer.alloc(0)) });
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, port) => console.log(JSON.stringify({ http: http.port, grpc: port })));
`;
async function sink(): Promise<{ http: number; grpc: number }> {
  const proc = Bun.spawn([process.execPath, "-e", SINK], { stdout: "pipe", stderr: "inherit" });
  procs.push(proc);
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  return JSON.parse(new TextDecoder().decode(value));
}

try {
  // 1. The store and its history, against JSON lines.
  const N = 200_000;
  const spans = Array.from({ length: N }, (_, i) => sample(i));
  const store = new SpanStore();
  const db = new SpanDb(join(work, "traces.db"), { maxBytes: 1 << 30, maxAgeMs: 86_400_000 });
  store.persist(db);
  let t = performance.now();
  for (let i = 0; i < N; i += 5_000) {
    for (let j = i; j < i + 5_000; j++) store.record(spans[j]!);
    db.flush();
  }
  const stored = N / ((performance.now() - t) / 1000);
  db.close();
  t = performance.now();
  for (let i = 0; i < N; i += 5_000)
    appendFileSync(
      join(work, "floor.jsonl"),
      `${spans
        .slice(i, i + 5_000)
        .map((s) => JSON.stringify(s))
        .join("\n")}\n`,
    );
  const lines = N / ((performance.now() - t) / 1000);
  rows.push(["store + .loom/traces.db (batches of 5,000)", fmt(stored), fmt(lines), fmt(stored / lines, 2)]);

  // 2. The exporter, against posting the same batch.
  const collector = await sink();
  const batch = spans.slice(0, 512);
  for (const protocol of ["http/protobuf", "grpc"] as const) {
    const target = { endpoint: protocol === "grpc" ? `http://127.0.0.1:${collector.grpc}` : `http://127.0.0.1:${collector.http}`, protocol, service: "bench", warn: console.error };
    const source = new SpanStore();
    const exporter = exportTelemetry(source, target);
    const TOTAL = 100_000;
    t = performance.now();
    let fed = 0;
    while (exporter.exported + exporter.dropped < TOTAL) {
      // Feed what the queue can hold, as fast as it drains: the rate the exporter sustains.
      while (fed < TOTAL && fed - exporter.exported - exporter.dropped < 4_000) source.record(spans[fed++ % N]!);
      await Bun.sleep(1);
    }
    const exported = exporter.exported / ((performance.now() - t) / 1000);
    exporter.stop();
    const body = encode("ExportTraceServiceRequest", traceRequestOf(batch, "bench", true));
    t = performance.now();
    const ROUNDS = 200;
    if (protocol === "grpc") {
      const client = new (grpc.makeGenericClientConstructor(collectorService("trace"), "TraceService"))(`127.0.0.1:${collector.grpc}`, grpc.credentials.createInsecure());
      const request = traceRequestOf(batch, "bench", true);
      for (let i = 0; i < ROUNDS; i++) await unaryByName(client, collectorService("trace"), "Export", request);
      client.close();
    } else
      for (let i = 0; i < ROUNDS; i++)
        await (
          await fetch(`http://127.0.0.1:${collector.http}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: Buffer.from(body) })
        ).arrayBuffer();
    const floor = (ROUNDS * 512) / ((performance.now() - t) / 1000);
    rows.push([`exporter, OTLP ${protocol} (dropped: ${exporter.dropped})`, fmt(exported), fmt(floor), fmt(exported / floor, 2)]);
  }

  // 3. The receiver of a running embedded Bridge, against a server that drops what it reads.
  const bridgePort = await freePort("127.0.0.1");
  const dashPort = await freePort("127.0.0.1");
  const bridge = Bun.spawn([LOOM, "__bridge"], {
    cwd: work,
    env: { ...process.env, LOOM_BRIDGE_ADDR: `127.0.0.1:${bridgePort}`, LOOM_DASHBOARD: "true", LOOM_DASHBOARD_PORT: String(dashPort), LOOM_TRACES_DB: join(work, "received.db") },
    stdout: "ignore",
    stderr: "inherit",
  });
  procs.push(bridge);
  const body = Buffer.from(encode("ExportTraceServiceRequest", traceRequestOf(batch, "bench", true)));
  for (;;)
    if (
      await fetch(`http://127.0.0.1:${dashPort}/api/metrics`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
  const post = (port: number) =>
    fetch(`http://127.0.0.1:${port}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body }).then((r) => r.arrayBuffer());
  const rate = async (send: () => Promise<unknown>) => {
    const until = performance.now() + 3_000;
    let n = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (performance.now() < until) {
          await send();
          n++;
        }
      }),
    );
    return (n * 512) / ((performance.now() - started) / 1000);
  };
  const httpIn = await rate(() => post(dashPort));
  const httpFloor = await rate(() => post(collector.http));
  rows.push(["receiver, OTLP HTTP/protobuf (4 senders)", fmt(httpIn), fmt(httpFloor), fmt(httpIn / httpFloor, 2)]);
  const client = (port: number) => new (grpc.makeGenericClientConstructor(collectorService("trace"), "TraceService"))(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const request = traceRequestOf(batch, "bench", true);
  const toLoom = client(bridgePort);
  const toFloor = client(collector.grpc);
  const exportTo = (c: grpc.Client) => unaryByName(c, collectorService("trace"), "Export", request).then(() => {});
  const grpcIn = await rate(() => exportTo(toLoom));
  const grpcFloor = await rate(() => exportTo(toFloor));
  rows.push(["receiver, OTLP gRPC (4 senders)", fmt(grpcIn), fmt(grpcFloor), fmt(grpcIn / grpcFloor, 2)]);
  console.log(table(rows));
} finally {
  for (const p of procs) p.kill();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
