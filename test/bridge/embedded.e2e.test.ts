/**
 * The embedded Bridge through dist/loom, spoken to by a real gRPC client (grpc-js, with the
 * service definitions of src/protocol/loom.proto): registration, the event stream with exact and
 * wildcard topics, replies, Ping/Pong, the handshake's rule, the dashboard's JSON.
 */
import type { BridgeClient } from "../../src/protocol/loom.generated";
import { describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { makePythonStubs, pythonGrpcReady } from "../../scripts/python-stubs";
import { loomV1 } from "../../src/protocol/services";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { cleanEnv, ensureBuilt } from "../helpers/loom";
import { LoomProcess, leftIn, loom, makeProject, poll, protoAgentTable } from "../helpers/runtime";
import { serveRelease } from "../helpers/release";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

type Client = BridgeClient;

function client(address: string): Client {
  const { Bridge } = loomV1();
  return new Bridge(address, grpc.credentials.createInsecure());
}

function register(c: Client, agent_id: string, subscribed_topics: string[]): Promise<{ success: boolean; error_message: string }> {
  return new Promise((resolve, reject) => c.RegisterAgent({ agent_id, subscribed_topics, tools: [] }, (e, r) => (e ? reject(e) : resolve(r!))));
}

/** Opens the agent's stream (Ack first) and collects what the server sends. */
function stream(c: Client, agentId: string) {
  const call = c.EventStream();
  const received: Record<string, unknown>[] = [];
  let error: grpc.ServiceError | undefined;
  call.on("data", (m) => received.push(m));
  call.on("error", (e: grpc.ServiceError) => (error = e));
  call.write({ ack: { message_id: agentId } });
  return { call, received, error: () => error };
}

describe("the embedded Bridge", () => {
  test("agents register, subscribe exactly and by a trailing wildcard, publish, get replies' topic and Pong", async () => {
    const root = makeProject();
    const up = await loom(["up", "--detach", "--runtime", "embedded", ...FREE], root);
    expect(up.code).toBe(0);
    expect(up.err).toContain("runtime: the embedded Bridge (inside loom; no download)");
    const address = /bridge\s+(\S+)/.exec(up.out)![1]!;
    const dashboard = /dashboard\s+(\S+)/.exec(up.out)![1]!;
    expect((await loom(["status"], root)).out).toContain("runtime: the embedded Bridge");

    const c = client(address);
    try {
      expect(await register(c, "", [])).toMatchObject({ success: false });
      expect(await register(c, "risk-agent", ["market.price.*"])).toMatchObject({ success: true });
      expect(await register(c, "data-agent", ["chat.input"])).toMatchObject({ success: true });
      const risk = stream(c, "risk-agent");
      const data = stream(c, "data-agent");
      await poll("both streams open", async () => ((await (await fetch(`${dashboard}/api/metrics`)).json()) as { active_agents: number }).active_agents === 2);

      data.call.write({ publish: { topic: "market.price.BTC", event: { id: "e1", type: "price", payload: Buffer.from('{"p":1}') } } });
      data.call.write({ publish: { topic: "nobody.listens", event: { id: "e2" } } });
      risk.call.write({ ping: { timestamp_ms: 1 } });
      await poll("the delivery and the pong", () => risk.received.length >= 2);
      const delivery = risk.received.find((m) => m.msg === "delivery")!.delivery as { topic: string; event: { id: string; metadata: Record<string, string>; payload: Buffer } };
      expect(delivery.topic).toBe("market.price.*"); // the subscription pattern, as upstream sends it
      expect(delivery.event.id).toBe("e1");
      expect(Buffer.from(delivery.event.payload).toString()).toBe('{"p":1}');
      expect(delivery.event.metadata.reply_to).toBe("agent.data-agent.replies");
      expect(risk.received.find((m) => m.msg === "pong")).toMatchObject({ pong: { status: "ok" } });
      expect(data.received).toEqual([]); // it subscribed to chat.input only

      const metrics = await (await fetch(`${dashboard}/api/metrics`)).json();
      expect(metrics).toMatchObject({ runtime: "embedded", published: 2, delivered: 1 });
      const topology = (await (await fetch(`${dashboard}/api/topology`)).json()) as { agents: { id: string }[] };
      expect(topology.agents.map((a: { id: string }) => a.id).sort()).toEqual(["data-agent", "risk-agent"]);

      const rude = c.EventStream();
      const refused = new Promise<grpc.ServiceError>((resolve) => rude.on("error", resolve));
      rude.on("data", () => {});
      rude.write({ publish: { topic: "x", event: {} } });
      expect((await refused).code).toBe(grpc.status.INVALID_ARGUMENT);
      risk.call.end();
      data.call.end();
    } finally {
      c.close();
    }
    expect((await loom(["ping", "-c", "1"], root)).code).toBe(0);
    expect((await loom(["down"], root)).code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
  });

  test("auto: with no native runtime to be had, loom run uses the embedded Bridge and says why in one line", async () => {
    const server = serveRelease(tempDir()); // a release with nothing in it
    try {
      const root = makeProject(["idle.py"]);
      const run = await loom(["run", "--detach", ...FREE], root, { LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_CACHE_DIR: `${tempDir()}/bin` });
      expect(run.code).toBe(0);
      expect(run.err).toMatch(/no native runtime \(release v0\.1\.0 or its runtime for \S+ does not exist .*\); using the embedded Bridge/);
      expect(run.out).toContain("agents     idle");
      expect((await loom(["ping", "-c", "1"], root)).code).toBe(0);
      expect((await loom(["down"], root)).code).toBe(0);
      const native = await loom(["up", "--runtime", "native", ...FREE], root, { LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_CACHE_DIR: `${tempDir()}/bin` });
      expect(native.code).toBe(3); // native only: the download error stands
    } finally {
      server.stop();
    }
  });
});

describe("loom pub and loom sub", () => {
  test("sub prints what pub publishes (wildcard, --json, --count); a stdin line each; bad JSON is exit 2", async () => {
    const root = makeProject();
    expect((await loom(["up", "--detach", "--runtime", "embedded", ...FREE], root)).code).toBe(0);
    const sub = new LoomProcess(["sub", "market.price.*", "chat.input", "--json", "--count", "3"], root);
    await poll("the subscriber registered", async () => {
      const dashboard = JSON.parse((await loom(["status", "--json"], root)).out).dashboard;
      return ((await (await fetch(`${dashboard}/api/metrics`)).json()) as { active_agents: number }).active_agents === 1;
    });
    expect((await loom(["pub", "market.price.BTC", '{"price": 97000}'], root)).code).toBe(0);
    const piped = Bun.spawn(["sh", "-c", `printf '{"q": 1}\\n\\n{"q": 2}\\n' | "$LOOM" pub chat.input -`], {
      cwd: root,
      env: cleanEnv({ LOOM: ensureBuilt() }),
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await piped.exited).toBe(0);
    expect(await new Response(piped.stderr).text()).toContain("published 2 events to chat.input");
    expect(await sub.exited).toBe(0);
    const lines = sub.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.topic, l.payload])).toEqual([
      ["market.price.BTC", '{"price": 97000}'], // the topic, as `nats sub` prints the subject, not the pattern
      ["chat.input", '{"q": 1}'],
      ["chat.input", '{"q": 2}'],
    ]);
    expect(lines[0].metadata.reply_to).toMatch(/^agent\.loom-pub-\d+\.replies$/);
    const bad = await loom(["pub", "x", "{not json"], root);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("the payload is not JSON");
    // A subscriber whose Bridge goes away says so and exits 4, as `nats sub` does, instead of waiting for nothing.
    const orphan = new LoomProcess(["sub", "anything"], root);
    await poll("the second subscriber registered", async () => {
      const dashboard = JSON.parse((await loom(["status", "--json"], root)).out).dashboard;
      return ((await (await fetch(`${dashboard}/api/metrics`)).json()) as { active_agents: number }).active_agents === 1;
    });
    expect((await loom(["down"], root)).code).toBe(0);
    expect(await orphan.exited).toBe(4);
    expect(orphan.err).toContain("lost the Bridge at unix:");
  });
});

describe("agents written against the protocol (Python grpcio, stubs from loom.proto)", () => {
  const ready = pythonGrpcReady();

  test.skipIf(!ready)("two Python agents exchange a request and its reply through agent.<id>.replies on the embedded Bridge", async () => {
    const stubs = makePythonStubs(tempDir());
    const agent = (role: string) => protoAgentTable(role, stubs);
    // makeProject's loom.toml ends inside [bridge]: `runtime` lands there.
    const root = makeProject([], `runtime = "embedded"\n${agent("answerer")}${agent("asker")}`);
    const run = await loom(["run", "--detach", ...FREE], root);
    expect(run.code).toBe(0);
    const answer = await poll("the answer", () => existsSync(join(root, "answer.txt")) && readFileSync(join(root, "answer.txt"), "utf8"), 25_000);
    expect(answer).toBe("42");
    expect(readFileSync(join(root, ".loom/logs/answerer.log"), "utf8")).toContain("answerer-agent: got '6 * 7' on questions.*");
    expect((await loom(["down"], root)).code).toBe(0);
  });
});

describe("run --detach --wait-agents", () => {
  const ready = pythonGrpcReady();

  test.skipIf(!ready)("returns once the agents registered; agents that never register are exit 4 after timeout_sec", async () => {
    const stubs = makePythonStubs(tempDir());
    const answerer = protoAgentTable("answerer", stubs);
    const root = makeProject([], `runtime = "embedded"\n${answerer}`);
    const run = await loom(["run", "--detach", "--wait-agents", ...FREE], root);
    expect(run.code).toBe(0);
    expect(run.err).toContain("agents registered with the Bridge: answerer-agent");
    expect((await loom(["down"], root)).code).toBe(0);

    const silent = makeProject(["idle.py"], 'runtime = "embedded"\n');
    writeFileSync(join(silent, "loom.toml"), readFileSync(join(silent, "loom.toml"), "utf8").replace("timeout_sec = 20", "timeout_sec = 1"));
    const never = await loom(["run", "--detach", "--wait-agents", ...FREE], silent);
    expect(never.code).toBe(4);
    expect(never.err).toContain("only 0 of 1 running agents registered with the Bridge in 1s");
    expect((await loom(["down"], silent)).code).toBe(0);
  });

  test.skipIf(!ready)("an agent that exits is reported with its code at once, not waited for; no dashboard is needed", async () => {
    const stubs = makePythonStubs(tempDir());
    const root = makeProject(["clean-exit.py"], `runtime = "embedded"\n${protoAgentTable("answerer", stubs)}[dashboard]\nenabled = false\n`);
    const run = await loom(["run", "--detach", "--wait-agents", ...FREE], root);
    expect(run.code, run.all).toBe(0); // before, it waited timeout_sec for the exited agent, then exit 4
    expect(run.err).toContain("not waited for, they exited: clean-exit (exit 0)");
    expect(run.err).toContain("agents registered with the Bridge: answerer-agent");
    expect((await loom(["down"], root)).code).toBe(0);
  });
});

describe("load and restarts", () => {
  test("100 agents at once: each registers, subscribes by wildcard, and gets the one event published", async () => {
    const root = makeProject();
    const up = await loom(["up", "--detach", "--runtime", "embedded", ...FREE], root);
    expect(up.code).toBe(0);
    const address = /bridge\s+(\S+)/.exec(up.out)![1]!;
    const clients = Array.from({ length: 100 }, () => client(address));
    try {
      await Promise.all(clients.map((c, i) => register(c, `agent-${i}`, ["fan.*"])));
      const streams = clients.map((c, i) => stream(c, `agent-${i}`));
      const dashboard = /dashboard\s+(\S+)/.exec(up.out)![1]!;
      await poll("100 streams open", async () => ((await (await fetch(`${dashboard}/api/metrics`)).json()) as { active_agents: number }).active_agents === 100);
      streams[0]!.call.write({ publish: { topic: "fan.out", event: { id: "one" } } });
      await poll("every agent's delivery", () => streams.every((s) => s.received.some((m) => m.msg === "delivery")));
      for (const s of streams) s.call.end();
    } finally {
      for (const c of clients) c.close();
    }
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("the embedded Bridge killed: the supervisor restarts it on the same address and agents reconnect", async () => {
    const root = makeProject();
    const up = await loom(["up", "--detach", "--runtime", "embedded", ...FREE], root);
    expect(up.code).toBe(0);
    const address = /bridge\s+(\S+)/.exec(up.out)![1]!;
    const status = async () => JSON.parse((await loom(["status", "--json"], root)).out);
    const first = (await status()).processes[0].pid;
    process.kill(first, "SIGKILL");
    await poll("the Bridge restarted and healthy", async () => {
      const p = (await status()).processes[0];
      return p.restarts >= 1 && p.health === "ok" && p.pid !== first;
    });
    // An agent reconnects as the SDK does: register again, open a new stream.
    const c = client(address);
    try {
      expect(await register(c, "back", ["again.*"])).toMatchObject({ success: true });
      const s = stream(c, "back");
      await poll("the stream open", async () => {
        s.call.write({ ping: { timestamp_ms: 1 } });
        return s.received.some((m) => m.msg === "pong");
      });
      s.call.write({ publish: { topic: "again.ok", event: { id: "e" } } });
      await poll("its own event back", () => s.received.some((m) => m.msg === "delivery"));
      s.call.end();
    } finally {
      c.close();
    }
    expect((await loom(["down"], root)).code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
  });
});
