/**
 * The embedded Bridge in this process, spoken to over its Unix socket by grpc-js clients: what an
 * agent can observe of upstream's semantics (docs/runtime-contract.md "Bridge protocol").
 */
import type { BridgeClient } from "../../src/protocol/loom.generated";
import { afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { join } from "pathe";
import { MAX_PENDING_CALL_BYTES, MAX_TOOL_TIMEOUT_MS, MAX_TOPIC_BYTES } from "../../src/bridge/limits";
import { askTopology } from "../../src/client/topology";
import { loomV1, unaryByName } from "../../src/protocol/services";
import { healthService } from "../../src/bridge/health";
import { EmbeddedBridge, toolTimeout } from "../../src/bridge/server";
import { tempDir } from "../helpers/tmp";

type Client = BridgeClient;

const open: { bridge: EmbeddedBridge; clients: grpc.Client[] }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    for (const c of o.clients) c.close();
    o.bridge.close();
  }
});

async function start() {
  const bridge = new EmbeddedBridge();
  const socket = join(tempDir(), "b.sock");
  const port = await bridge.listen({ tcp: { host: "127.0.0.1", port: 0 }, unix: socket });
  const clients: grpc.Client[] = [];
  open.push({ bridge, clients });
  const client = () => {
    const { Bridge } = loomV1();
    const c = new Bridge(`unix:${socket}`, grpc.credentials.createInsecure());
    clients.push(c);
    return c;
  };
  // By name: the tests send what a typed client would refuse.
  const unary = <T>(c: Client, method: string, req: unknown) => unaryByName<T>(c, loomV1().Bridge.service, method, req);
  const stream = (c: Client, id: string) => {
    const call = c.EventStream();
    const got: Record<string, unknown>[] = [];
    call.on("data", (m) => got.push(m));
    call.on("error", () => {});
    call.write({ ack: { message_id: id } });
    return { call, got };
  };
  const until = async (what: string, ok: () => boolean) => {
    const end = Date.now() + 5_000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(5);
    }
  };
  return { bridge, port, client, unary, stream, until };
}

const deliveries = (got: Record<string, unknown>[]) =>
  got.filter((m) => m.msg === "delivery").map((m) => m.delivery as { topic: string; event: { id: string; metadata: Record<string, string> } });

describe("the embedded Bridge, as an agent sees it", () => {
  test("an agent subscribed to probe.x and probe.* gets an event on probe.x twice, each naming its pattern", async () => {
    const b = await start();
    const c = b.client();
    await b.unary(c, "RegisterAgent", { agent_id: "a", subscribed_topics: ["probe.x", "probe.*"] });
    const a = b.stream(c, "a");
    const p = b.stream(c, "publisher");
    await b.until("both streams", () => b.bridge.bus.streams.size === 2);
    p.call.write({ publish: { topic: "probe.x", event: { id: "e1", payload: Buffer.from("{}") } } });
    await b.until("two deliveries", () => deliveries(a.got).length === 2);
    expect(
      deliveries(a.got)
        .map((d) => d.topic)
        .sort(),
    ).toEqual(["probe.*", "probe.x"]);
  });

  test("metadata is filled as upstream's envelope does; what the publisher set is kept", async () => {
    const b = await start();
    const c = b.client();
    await b.unary(c, "RegisterAgent", { agent_id: "sub", subscribed_topics: ["t"] });
    const sub = b.stream(c, "sub");
    const pub = b.stream(c, "pub");
    await b.until("streams", () => b.bridge.bus.streams.size === 2);
    pub.call.write({ publish: { topic: "t", event: { id: "e1" } } });
    pub.call.write({ publish: { topic: "t", event: { id: "e2", metadata: { "loom.reply_to": "agent.pub.replies", correlation_id: "c9", ttl: "4" } } } });
    await b.until("deliveries", () => deliveries(sub.got).length === 2);
    const [first, second] = deliveries(sub.got).map((d) => d.event.metadata);
    expect(first).toMatchObject({ thread_id: "e1", correlation_id: "e1", sender: "", reply_to: "agent.pub.replies", ttl: "16", hop: "0" });
    expect(Number(first!.ts)).toBeGreaterThan(Date.now() - 60_000);
    expect(second).toMatchObject({ thread_id: "e2", correlation_id: "c9", "loom.reply_to": "agent.pub.replies", ttl: "4" });
  });

  test("one id on two streams: both receive; the older leaving leaves the newer registered and receiving", async () => {
    const b = await start();
    const c = b.client();
    await b.unary(c, "RegisterAgent", { agent_id: "twin", subscribed_topics: ["t"], tools: [{ name: "twin:echo" }] });
    const older = b.stream(c, "twin");
    const newer = b.stream(c, "twin");
    const pub = b.stream(c, "pub");
    await b.until("streams", () => b.bridge.bus.streams.size === 3);
    pub.call.write({ publish: { topic: "t", event: { id: "1" } } });
    await b.until("both got it", () => deliveries(older.got).length === 1 && deliveries(newer.got).length === 1);
    older.call.end();
    older.call.cancel();
    await b.until("the older gone", () => b.bridge.bus.streams.size === 2);
    expect(b.bridge.agents.connected("twin")).toBe(true);
    pub.call.write({ publish: { topic: "t", event: { id: "2" } } });
    await b.until("the newer got it", () => deliveries(newer.got).length === 2);
    // its declared tool still routes to the newer stream
    newer.call.on("data", (m) => {
      if (m.msg === "tool_call") newer.call.write({ tool_result: { id: (m.tool_call as { id: string }).id, status: "TOOL_OK", output: '"pong"' } });
    });
    expect(await b.unary(c, "ForwardToolCall", { id: "x1", name: "twin:echo", arguments: "{}" })).toMatchObject({ status: "TOOL_OK", output: '"pong"' });
  });

  test("Heartbeat echoes the request's time; an empty id is refused in upstream's words; a timeout that would overflow the timer is clamped", async () => {
    const b = await start();
    const c = b.client();
    expect(await b.unary(c, "Heartbeat", { timestamp_ms: 12345 })).toEqual({ timestamp_ms: 12345, status: "ok" });
    expect(await b.unary(c, "RegisterAgent", { agent_id: "", subscribed_topics: [] })).toEqual({ success: false, error_message: "agent_id cannot be empty" });
    expect(toolTimeout(2 ** 32)).toBe(MAX_TOOL_TIMEOUT_MS);
    expect(toolTimeout(0)).toBe(30_000);
    expect(toolTimeout(-5)).toBe(30_000);
    expect(toolTimeout(250)).toBe(250);
  });

  test("the first message must be an Ack", async () => {
    const b = await start();
    const call = b.client().EventStream();
    const failed = new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    call.on("data", () => {});
    call.write({ ping: { timestamp_ms: 1 } });
    expect((await failed).code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});

describe("what a caller can grow is bounded in bytes", () => {
  test("a topic over 1 KB ends the publisher's stream (INVALID_ARGUMENT) and leaves nothing in the flow", async () => {
    const b = await start();
    const publisher = b.stream(b.client(), "pub");
    const failed = new Promise<grpc.ServiceError>((resolve) => publisher.call.on("error", resolve));
    publisher.call.write({ publish: { topic: "t".repeat(MAX_TOPIC_BYTES + 1), event: { id: "1", payload: Buffer.from("{}") } } });
    const error = await failed;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain(`over the ${MAX_TOPIC_BYTES}-byte limit`);
    expect(b.bridge.bus.stats.published).toBe(0);
  });

  test("tool calls waiting for an agent that does not read hold at most MAX_PENDING_CALL_BYTES of arguments; the rest are refused at once", async () => {
    const b = await start();
    const c = b.client();
    await b.unary(c, "RegisterAgent", { agent_id: "deaf", tools: [{ name: "deaf:work" }] });
    const deaf = c.EventStream();
    deaf.on("error", () => {});
    deaf.write({ ack: { message_id: "deaf" } });
    deaf.pause(); // never reads what it is sent
    await b.until("the stream", () => b.bridge.streamsById.has("deaf"));
    const args = JSON.stringify({ blob: "a".repeat(3_000_000) });
    const answers: { status: string; error?: { message: string } }[] = [];
    const calls = Array.from({ length: 20 }, (_, i) =>
      b
        .unary<{ status: string; error?: { message: string } }>(c, "ForwardToolCall", { id: `c${i}`, name: "deaf:work", arguments: args, timeout_ms: 3_600_000 })
        .then((r) => answers.push(r)),
    );
    await b.until("every call refused or waiting", () => answers.length + b.bridge.pendingToolCalls.count === 20);
    expect(b.bridge.pendingToolCalls.bytes).toBeLessThanOrEqual(MAX_PENDING_CALL_BYTES);
    expect(answers.length).toBeGreaterThan(0);
    for (const r of answers) expect(r.error?.message).toMatch(/try again later/);
    deaf.cancel(); // the agent leaves: what waited fails now, not in an hour
    await Promise.all(calls);
    expect(answers.filter((r) => r.error?.message.includes("disconnected before answering")).length).toBe(
      20 - answers.filter((r) => /try again/.test(r.error?.message ?? "")).length,
    );
    expect(b.bridge.pendingToolCalls).toEqual({ count: 0, bytes: 0 });
  });
});

describe("grpc.health.v1 (Kubernetes' gRPC probes)", () => {
  test("Check: SERVING for the server and its services, NOT_FOUND otherwise; Watch sends the status and stays open", async () => {
    const { port } = await start();
    const Health = grpc.makeGenericClientConstructor(healthService() as grpc.ServiceDefinition, "Health");
    const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const check = (service: string) =>
        unaryByName<{ status: string }>(health, Health.service, "Check", { service }).then(
          (r) => r.status,
          (e: grpc.ServiceError) => `error ${e.code}`,
        );
      expect(await check("")).toBe("SERVING");
      expect(await check("loom.v1.Bridge")).toBe("SERVING");
      expect(await check("loom.v1.MemoryService")).toBe("SERVING");
      expect(await check("nope")).toBe(`error ${grpc.status.NOT_FOUND}`);
      const def = Health.service.Watch!;
      const watch = health.makeServerStreamRequest<unknown, { status: string }>(def.path, def.requestSerialize, def.responseDeserialize, { service: "" });
      const first = await new Promise<string>((resolve) => watch.once("data", (m: { status: string }) => resolve(m.status)));
      expect(first).toBe("SERVING");
      watch.on("error", () => {});
      watch.cancel();
    } finally {
      health.close();
    }
  });
});

describe("the Admin question on raw HTTP/2 (net/health.ts grpcJsonCall, what the background supervisor asks)", () => {
  test("answers the topology with each id's stream count; a wrong path or a dead socket is undefined, never a throw", async () => {
    const { grpcJsonCall } = await import("../../src/net/health");
    const { ADMIN_TOPOLOGY_PATH } = await import("../../src/constants");
    const bridge = new EmbeddedBridge();
    const socket = join(tempDir(), "b.sock");
    await bridge.listen({ tcp: { host: "127.0.0.1", port: 0 }, unix: socket });
    open.push({ bridge, clients: [] });
    const { Bridge } = loomV1();
    const c = new Bridge(`unix:${socket}`, grpc.credentials.createInsecure());
    open.at(-1)!.clients.push(c);
    await new Promise((resolve, reject) => c.RegisterAgent!({ agent_id: "a1", subscribed_topics: ["x"] }, (e, r) => (e ? reject(e) : resolve(r))));
    const call = c.EventStream();
    call.on("error", () => {});
    call.write({ ack: { message_id: "a1" } });
    const answer = await (async () => {
      for (let i = 0; i < 200; i++) {
        const t = await askTopology(socket, 1_000);
        if (t?.agents.some((a) => a.connected)) return t;
        await Bun.sleep(5);
      }
      return undefined;
    })();
    expect(answer?.agents).toEqual([expect.objectContaining({ id: "a1", connected: true, streams: 1 })]);
    expect(await grpcJsonCall(`unix:${socket}`, "/loom.embedded.v1.Admin/Nope", {}, 1_000)).toBeUndefined();
    expect(await grpcJsonCall(`unix:${join(tempDir(), "none.sock")}`, ADMIN_TOPOLOGY_PATH, {}, 500)).toBeUndefined();
    call.end();
  });
});
