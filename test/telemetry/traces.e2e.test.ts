/**
 * Traces of the embedded Bridge in upstream's span API: a request, its delivery, the TypeScript
 * agent's reply and its delivery are one trace, continued from the context a publisher gives in
 * upstream's envelope keys (`trace_id`/`span_id`) or W3C's `traceparent`; a tool call continues
 * its caller's context; `/api/spans/stream` sends new spans in batches.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "pathe";
import { connectAgent } from "../../src/client/agent";
import type { SpanData } from "../../src/telemetry/spans";
import { LoomProcess, loom, makeProject, poll } from "../helpers/runtime";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

/** Whether `clients` follow the span stream (so a span published now reaches them all). */
async function following(dashboard: string, clients: number): Promise<boolean> {
  const metrics = await (await fetch(`${dashboard}/api/metrics`)).json().catch(() => ({}));
  return (metrics as { span_clients?: number }).span_clients === clients;
}

async function running() {
  const root = makeProject(["echo.ts"], 'runtime = "embedded"\n');
  expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root)).code).toBe(0);
  const status = JSON.parse((await loom(["status", "--json"], root)).out) as { dashboard: string; bridge: string };
  const trace = async (id: string) => (await (await fetch(`${status.dashboard}/api/traces/${id}`)).json()) as SpanData[];
  return { root, ...status, trace };
}

describe("traces", () => {
  test("a request with upstream's context, the TypeScript agent's reply and both deliveries are one trace", async () => {
    const { root, bridge, dashboard, trace } = await running();
    const client = await connectAgent({ address: bridge, shown: bridge }, "tracer", ["agent.tracer.replies"]);
    const replies: string[] = [];
    const sources: string[] = [];
    client.onDelivery((d) => {
      replies.push(d.topic);
      sources.push(d.event.source ?? "");
    });
    client.publish("echo.in", '{"n": 1}', { trace_id: TRACE, span_id: PARENT, trace_flags: "01" });
    const spans = await poll("the reply's delivery in the trace", async () => {
      const got = await trace(TRACE);
      return got.filter((s) => s.name === "bridge.forward").length >= 2 && got;
    });
    const publishes = spans.filter((s) => s.name === "bridge.publish");
    const request = publishes.find((s) => s.attributes.agent_id === "tracer")!;
    const reply = publishes.find((s) => s.attributes.agent_id === "echo")!;
    expect(request.parent_span_id).toBe(PARENT);
    expect(request.attributes).toMatchObject({ topic: "echo.in", deliveries: "1" });
    // The SDK handled it in a span of its own beneath the publisher's (which the Bridge kept), and its reply continues that span.
    const handled = await poll("the agent's span", async () => (await trace(TRACE)).find((s) => s.name === "agent.on_event"));
    expect(handled.parent_span_id).toBe(PARENT);
    expect(reply.parent_span_id).toBe(handled.span_id);
    const forwards = spans.filter((s) => s.name === "bridge.forward");
    expect(forwards.map((f) => f.attributes.agent_id).sort()).toEqual(["echo", "tracer"]);
    for (const s of spans) {
      expect(s).toMatchObject({ trace_id: TRACE, status: "ok", error_message: null });
      expect(s.start_time).toBeGreaterThan(Date.now() * 1e6 - 60e9);
    }
    expect(replies).toContain("agent.tracer.replies");
    expect(sources).toEqual(["echo"]); // the TypeScript SDK names the agent that sent it, not "typescript"
    const recent = (await (await fetch(`${dashboard}/api/spans/recent?limit=1000`)).json()) as SpanData[];
    expect((await fetch(`${dashboard}/api/spans/recent?limit=abc`)).status).toBe(400); // as upstream's integer parameter
    expect(recent.filter((s) => s.trace_id === TRACE).length).toBe((await trace(TRACE)).length);
    await client.close();

    // The same trace in the terminal: listed, and as a waterfall.
    const listed = await loom(["traces"], root);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^${TRACE} .* ok +bridge\\.publish tracer echo\\.in$`, "m"));
    const json = JSON.parse((await loom(["traces", "--json", "--limit", "1"], root)).out) as { trace_id: string; spans: number }[];
    expect(json).toHaveLength(1);
    const shown = await loom(["traces", TRACE], root);
    expect(shown.out).toMatch(/^ +\+0\.00 ms +[\d.]+ ms {2}bridge\.publish tracer echo\.in$/m);
    expect(shown.out).toMatch(/^ +\+[\d.]+ ms +[\d.]+ ms {2}agent\.on_event echo echo\.in$/m); // beside the request: both under the publisher's span
    expect(shown.out).toMatch(/^ +\+[\d.]+ ms +[\d.]+ ms {4}bridge\.publish echo agent\.tracer\.replies$/m); // the reply, within the handler

    // `loom pub --reply` starts a trace of its own, and the agent's reply is in it.
    const asked = await loom(["pub", "echo.in", '{"n": 2}', "--reply"], root);
    expect(asked.code).toBe(0);
    const latest = await poll("the pub's trace with its reply", async () => {
      const [row] = JSON.parse((await loom(["traces", "--json", "--limit", "1"], root)).out) as { trace_id: string; spans: number }[];
      return row && row.spans >= 5 && row;
    });
    const nested = await loom(["traces", latest.trace_id], root);
    expect(nested.out).toMatch(/^ +\+0\.00 ms +[\d.]+ ms {2}bridge\.publish loom-pub-\S+ echo\.in$/m);
    expect(nested.out).toMatch(/^ +\+[\d.]+ ms +[\d.]+ ms {4}bridge\.publish echo agent\.loom-pub-\S+\.replies$/m);
    expect((await loom(["down"], root)).code).toBe(0);
    const stopped = await loom(["traces"], root);
    expect(stopped.code).toBe(4);
    expect(stopped.err).toContain("loom is not running in");
  });

  test("traceparent works as well; a tool call continues its caller's context; /api/spans/stream sends batches", async () => {
    const { root, bridge, dashboard, trace } = await running();
    const stream = await fetch(`${dashboard}/api/spans/stream`);
    const reader = stream.body!.getReader();
    const followed = new LoomProcess(["traces", "--follow", TRACE], root);
    await poll("loom traces --follow connected beside this test's own reader", () => following(dashboard, 2));
    const client = await connectAgent({ address: bridge, shown: bridge }, "w3c", []);
    client.publish("nobody.listens", "{}", { traceparent: `00-${TRACE}-${PARENT}-01` });
    await poll("the span printed by --follow", () => new RegExp(`^${TRACE} +[\\d.]+ ms +ok +bridge\\.publish w3c nobody\\.listens$`, "m").test(followed.out));
    followed.signal("SIGINT");
    const published = await poll("the publish span", async () => (await trace(TRACE)).find((s) => s.name === "bridge.publish"));
    expect(published.parent_span_id).toBe(PARENT);
    let text = "";
    await poll("a batch on the span stream", async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return /event: spans\ndata: \[/.test(text) && text.includes(TRACE);
    });
    await reader.cancel();
    await client.close();

    const failed = await loom(["call", "fs:read_file", '{"path": "nope.txt"}'], root);
    expect(failed.code).toBe(5);
    const tool = await poll("the tool call's span", async () => {
      const recent = (await (await fetch(`${dashboard}/api/spans/recent`)).json()) as SpanData[];
      return recent.find((s) => s.name === "bridge.tool_call" && s.attributes["tool.name"] === "fs:read_file");
    });
    expect(tool).toMatchObject({ status: "error", parent_span_id: null, attributes: { "tool.status": "TOOL_NOT_FOUND" } });
    expect(tool.error_message).toContain("File not found: nope.txt");
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("[telemetry] otlp_endpoint: a collector that is down costs one warning, and the Bridge goes on", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true); // nothing listens there any more
    const root = makeProject(["echo.ts"], `runtime = "embedded"\n[telemetry]\notlp_endpoint = "http://127.0.0.1:${port}"\n`);
    expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root)).code).toBe(0);
    for (let i = 0; i < 3; i++) await loom(["pub", "echo.in", "{}"], root);
    const log = join(root, ".loom/logs/core.err");
    await poll("the warning", () => existsSync(log) && readFileSync(log, "utf8").includes("OTLP export to"), 10_000);
    await loom(["pub", "echo.in", "{}"], root);
    expect((await loom(["ping", "--count", "1"], root)).code).toBe(0); // the Bridge goes on
    expect(readFileSync(log, "utf8").split("OTLP export to").length - 1).toBe(1); // said once
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("traces outlive `loom restart --runtime` and the next `loom run` (.loom/traces.db)", async () => {
    const { root, trace } = await running();
    expect((await loom(["pub", "echo.in", "{}", "--reply"], root)).code).toBe(0);
    const [row] = JSON.parse((await loom(["traces", "--json", "--limit", "1"], root)).out) as { trace_id: string }[];
    const before = await poll("the agent's span", async () => {
      const spans = await trace(row!.trace_id);
      return spans.some((s) => s.name === "agent.on_event") && spans;
    });
    expect((await loom(["restart", "--runtime"], root)).code).toBe(0);
    const restarted = JSON.parse((await loom(["status", "--json"], root)).out) as { dashboard: string };
    const after = (await (await fetch(`${restarted.dashboard}/api/traces/${row!.trace_id}`)).json()) as SpanData[];
    expect(after.map((s) => s.span_id).sort()).toEqual(before.map((s) => s.span_id).sort());
    expect((await loom(["down"], root)).code).toBe(0);
    expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root)).code).toBe(0);
    const listed = await loom(["traces", "--json", "--limit", "50"], root);
    expect((JSON.parse(listed.out) as { trace_id: string }[]).map((r) => r.trace_id)).toContain(row!.trace_id);
    expect((await loom(["traces", row!.trace_id], root)).out).toContain("agent.on_event");
    expect((await loom(["down"], root)).code).toBe(0);
  });
});
