/**
 * Generated input for what a running loom serves: control-socket lines, Bridge gRPC messages
 * (raw bytes and typed messages with odd fields, streams included) and dashboard HTTP requests.
 * Each input gets an answer or a refusal before its deadline; a bug is no answer, a dropped
 * connection where an answer is owed, UNKNOWN (a handler threw), a 5xx, or a JavaScript error text.
 */
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { loomV1 } from "../../src/protocol/services";

const JS_ERROR = /is not a function|Cannot read propert|undefined is not|is not iterable|Maximum call stack|RangeError|TypeError/;
export type Verdict = { result: string; bug: boolean; detail?: string };

/** Control requests: one line (or none), from the protocol's shapes, JSON at large and bytes. */
export const controlInput = fc.oneof(
  fc
    .record(
      {
        cmd: fc.constantFrom("status", "stop", "start", "restart", "kill", "", "__proto__"),
        names: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.anything()),
        runtime: fc.anything(),
        paths: fc.array(fc.constantFrom("/etc/passwd", "a.py", "../x", "loom.toml", ""), { maxLength: 2 }),
      },
      { requiredKeys: ["cmd"] },
    )
    .map((v) => `${JSON.stringify(v)}\n`),
  fc.json().map((j) => `${j}\n`),
  fc.string({ maxLength: 40 }).map((s) => `${s}\n`),
  fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString("latin1")),
);

export async function askControl(path: string, text: string, deadlineMs: number): Promise<Verdict> {
  const owed = text.includes("\n");
  const done = Promise.withResolvers<Verdict>();
  let received = "";
  const timer = setTimeout(() => done.resolve({ result: "hang", bug: owed }), deadlineMs);
  await Bun.connect({
    unix: path,
    socket: {
      open(s) {
        s.write(text);
        if (!owed) s.end();
      },
      data(_s, chunk) {
        received += chunk.toString("utf8");
      },
      close() {
        if (!owed) return done.resolve({ result: received ? "answered" : "closed", bug: false });
        try {
          const reply = JSON.parse(received) as { ok?: unknown; error?: string; code?: string };
          const bug = typeof reply.ok !== "boolean" || JS_ERROR.test(reply.error ?? "");
          done.resolve({ result: reply.ok ? "ok" : `refused:${reply.code}`, bug, detail: received });
        } catch {
          done.resolve({ result: "no-answer", bug: true, detail: received });
        }
      },
    },
  }).catch((e: Error) => done.resolve({ result: "connect-failed", bug: true, detail: e.message }));
  const verdict = await done.promise;
  clearTimeout(timer);
  return verdict;
}

const UNARY = ["RegisterAgent", "ForwardToolCall", "Heartbeat"]
  .map((m) => `/loom.v1.Bridge/${m}`)
  .concat(
    ["SavePlan", "GetRecentPlans", "CheckDuplicate", "MarkExecuted", "CheckExecuted", "GetExecutionStats", "AppendEvent", "Retrieve", "SummarizeEpisode"].map(
      (m) => `/loom.v1.MemoryService/${m}`,
    ),
    ["/grpc.health.v1.Health/Check", "/loom.v1.Bridge/Nope"],
  );
const word = fc.oneof(
  fc.constantFrom("", "a", "x.y", "x.*", "*", "fs:read_file", "system:shell", "weather:get", "loom.toml", ".env", "..", "a".repeat(300)),
  fc.string({ maxLength: 10 }),
);
const fields = fc.dictionary(
  fc.constantFrom(
    "agent_id",
    "topics",
    "subscribed_topics",
    "tools",
    "metadata",
    "name",
    "arguments",
    "id",
    "timeout_ms",
    "session_id",
    "plan_hash",
    "type",
    "content",
    "query",
    "limit",
    "timestamp_ms",
    "correlation_id",
    "reply_to",
  ),
  fc.oneof(word, fc.integer(), fc.array(word, { maxLength: 3 }), fc.dictionary(word, word, { maxKeys: 2 })),
  { maxKeys: 5 },
);
const frame = fc.oneof(
  fc.record({ ack: fc.record({ message_id: word }) }),
  fc.record({
    publish: fc.record(
      {
        topic: word,
        event: fc.record({ id: word, type: word, payload: fc.uint8Array({ maxLength: 64 }), metadata: fc.dictionary(word, word, { maxKeys: 3 }) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ tool_result: fields }),
  fc.record({ subscribe: fields }),
  fields,
);
export const bridgeInput = fc.oneof(
  fc.record({ kind: fc.constant("raw" as const), method: fc.constantFrom(...UNARY), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant("typed" as const), method: fc.constantFrom(...UNARY.slice(0, 12)), message: fields }),
  fc.record({ kind: fc.constant("stream" as const), frames: fc.array(fc.oneof(frame, fc.uint8Array({ maxLength: 60 })), { maxLength: 4 }) }),
);

/** A client that sends bytes as they are (raw) or encoded by loom.proto (typed). */
export function bridgeFuzzer(address: string) {
  const channel = new grpc.Client(address, grpc.credentials.createInsecure());
  const { Bridge, MemoryService } = loomV1();
  const typed = { Bridge: Bridge.service, MemoryService: MemoryService.service } as Record<string, grpc.ServiceDefinition>;
  const raw = (b: Uint8Array) => Buffer.from(b);
  const verdictOf = (e: grpc.ServiceError | null): Verdict => {
    if (!e) return { result: "OK", bug: false };
    const name = grpc.status[e.code] ?? String(e.code);
    return { result: name, bug: e.code === grpc.status.UNKNOWN || e.code === grpc.status.UNAVAILABLE || JS_ERROR.test(e.details), detail: e.details };
  };
  async function send(input: { kind: string } & Record<string, unknown>, deadlineMs: number): Promise<Verdict> {
    const deadline = Date.now() + deadlineMs;
    if (input.kind === "stream") {
      const frames = input.frames as (Uint8Array | Record<string, unknown>)[];
      const serialize = (m: Uint8Array | Record<string, unknown>) =>
        m instanceof Uint8Array ? raw(m) : (typed.Bridge!.EventStream!.requestSerialize as (v: unknown) => Buffer)(m);
      return new Promise((resolve) => {
        const call = channel.makeBidiStreamRequest(
          "/loom.v1.Bridge/EventStream",
          (m: Uint8Array | Record<string, unknown>) => {
            try {
              return serialize(m);
            } catch {
              return raw(new Uint8Array([0xff])); // a field protobufjs cannot encode: send a broken message instead
            }
          },
          (b: Buffer) => b,
          { deadline },
        );
        call.on("data", () => {});
        call.on("status", (s: grpc.StatusObject) => resolve(verdictOf(s.code === grpc.status.OK ? null : (s as grpc.ServiceError))));
        call.on("error", () => {});
        for (const f of frames) call.write(f);
        call.end();
      });
    }
    const method = String(input.method);
    let bytes: Buffer;
    if (input.kind === "raw") bytes = raw(input.bytes as Uint8Array);
    else {
      const [, service, name] = method.split("/");
      const def = typed[service!.replace("loom.v1.", "")]?.[name!];
      try {
        bytes = def ? (def.requestSerialize as (v: unknown) => Buffer)(input.message) : Buffer.alloc(0);
      } catch {
        bytes = Buffer.from(JSON.stringify(input.message)); // protobufjs cannot encode it: its JSON goes instead
      }
    }
    return new Promise((resolve) =>
      channel.makeUnaryRequest(
        method,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        { deadline },
        (e) => resolve(verdictOf(e)),
      ),
    );
  }
  return { send, close: () => channel.close() };
}

/** Dashboard requests: methods, paths, Host/Origin headers and bodies a browser or a script might send. */
export const httpInput = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"),
  path: fc.oneof(
    fc.constantFrom(
      "/",
      "/api/loom/session",
      "/api/topology",
      "/api/events/stream",
      "/api/metrics",
      "/api/loom/status",
      "/api/loom/logs",
      "/api/loom/publish",
      "/api/loom/action",
      "/api/tools",
      "/api/flow",
      "/%",
      "/..%2f..%2fetc/passwd",
      "//",
      "/api/../api/topology?x=%ZZ",
    ),
    fc.webPath(),
  ),
  host: fc.constantFrom("own", "evil.example", "", "127.0.0.1:1", "localhost"),
  origin: fc.constantFrom(undefined, "own", "null", "http://evil.example", "%"),
  token: fc.constantFrom(undefined, "own", "wrong"),
  body: fc.oneof(fc.constant(""), fc.json(), fc.string({ maxLength: 40 })),
});
