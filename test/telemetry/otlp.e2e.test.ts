/**
 * OpenTelemetry in and out of the embedded Bridge, against OpenTelemetry's own pieces: its
 * JavaScript SDK exports to loom's receiver (OTLP/gRPC on the Bridge's address, OTLP/HTTP
 * protobuf on the dashboard's) and its W3C propagator reads the context the TypeScript SDK
 * writes; a collector built from OTLP's message definitions receives what loom forwards, in each
 * protocol, with the same ids the page and `loom traces` show.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as GrpcExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { connectAgent } from "../../src/client/agent";
import type { SpanData } from "../../src/telemetry/spans";
import { OtlpCollector } from "../helpers/otlp-collector";
import { loom, makeProject, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const w3c = new W3CTraceContextPropagator();
const collectors: OtlpCollector[] = [];
afterAll(() => {
  for (const c of collectors) c.stop();
});

async function running(toml = "", env: Record<string, string> = {}) {
  const root = makeProject(["echo.ts"], `runtime = "embedded"\n${toml}`);
  expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root, env)).code).toBe(0);
  const status = JSON.parse((await loom(["status", "--json"], root)).out) as { dashboard: string; bridge: string };
  const traceOf = async (id: string) => (await (await fetch(`${status.dashboard}/api/traces/${id}`)).json()) as SpanData[];
  return { root, ...status, traceOf };
}

describe("OpenTelemetry in", () => {
  test("OpenTelemetry's SDK exports to loom over gRPC and HTTP/protobuf; its context and the TypeScript SDK's are one trace", async () => {
    const { root, bridge, dashboard, traceOf } = await running();
    const grpcExporter = new GrpcExporter({ url: `http://${bridge}` });
    const protoExporter = new ProtoExporter({ url: `${dashboard}/v1/traces` });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "otel-client" }),
      spanProcessors: [new SimpleSpanProcessor(grpcExporter)],
    });
    const followups = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "otel-followup" }), spanProcessors: [new SimpleSpanProcessor(protoExporter)] });
    const request = provider.getTracer("test").startSpan("client.request");
    const carrier: Record<string, string> = {};
    w3c.inject(trace.setSpan(context.active(), request), carrier, defaultTextMapSetter);
    const traceId = request.spanContext().traceId;

    const client = await connectAgent({ address: bridge, shown: bridge }, "otel", ["agent.otel.replies"]);
    const replies: Record<string, string>[] = [];
    client.onDelivery((d) => replies.push(d.event.metadata ?? {}));
    client.publish("echo.in", "{}", carrier); // only `traceparent`: W3C's form alone
    const reply = await poll("the echo's reply", () => replies[0]);
    request.end();
    followups.getTracer("test").startSpan("client.followup", {}, trace.setSpan(ROOT_CONTEXT, request)).end();
    await provider.forceFlush();
    await followups.forceFlush();
    await client.close();

    const spans = await poll("the whole trace at loom", async () => {
      const got = await traceOf(traceId);
      const names = got.map((s) => s.name);
      return (
        names.includes("client.request") && names.includes("client.followup") && names.includes("agent.on_event") && names.filter((n) => n === "bridge.publish").length === 2 && got
      );
    });
    const by = (name: string, agent?: string) => spans.find((s) => s.name === name && (!agent || s.attributes.agent_id === agent || s.attributes["agent.id"] === agent))!;
    const client_ = by("client.request");
    expect(client_.attributes["service.name"]).toBe("otel-client");
    expect(by("client.followup")).toMatchObject({ parent_span_id: client_.span_id, attributes: { "service.name": "otel-followup" } });
    expect(by("bridge.publish", "otel").parent_span_id).toBe(client_.span_id);
    const handled = by("agent.on_event");
    expect(handled).toMatchObject({
      parent_span_id: client_.span_id,
      status: "ok",
      attributes: { "service.name": "agent-echo", "agent.id": "echo", topic: "echo.in", "event.type": "loom.cli" },
    });
    // The reply continues the handler's span, and OpenTelemetry's propagator reads it so.
    expect(by("bridge.publish", "echo").parent_span_id).toBe(handled.span_id);
    const read = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, reply, defaultTextMapGetter))!;
    expect(read).toMatchObject({ traceId, spanId: handled.span_id });
    expect(reply).toMatchObject({ trace_id: traceId, span_id: handled.span_id });

    const shown = await loom(["traces", traceId], root);
    expect(shown.out).toMatch(/agent\.on_event/);
    await provider.shutdown();
    await followups.shutdown();
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("a request the receiver cannot read is refused with a message; one without valid ids is partly rejected", async () => {
    const { root, dashboard } = await running();
    const bad = await fetch(`${dashboard}/v1/traces`, { method: "POST", headers: { "content-type": "application/x-protobuf" }, body: new Uint8Array([0x0a, 0xff, 0xff]) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("not an OTLP ExportTraceServiceRequest");
    const wrongType = await fetch(`${dashboard}/v1/traces`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(wrongType.status).toBe(415);
    const partly = await fetch(`${dashboard}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "xyz", spanId: "1", name: "broken" }] }] }] }),
    });
    expect(await partly.json()).toEqual({ partialSuccess: { rejectedSpans: "1", errorMessage: expect.stringContaining("valid trace_id") } });
    const metrics = await fetch(`${dashboard}/v1/metrics`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(metrics.status).toBe(200); // answered, not kept
    expect((await loom(["down"], root)).code).toBe(0);
  });
});

describe("OpenTelemetry out", () => {
  test("a new project's `loom pub hello.input --reply` is one trace, with the same ids in loom traces, the page's API and a collector", async () => {
    const collector = await new OtlpCollector().start();
    collectors.push(collector);
    const root = tempDir();
    expect((await loom(["init", root], root)).code).toBe(0);
    const toml = readFileSync(join(root, "loom.toml"), "utf8").replace('mode = "full"', 'mode = "full"\nruntime = "embedded"'); // no download in tests
    writeFileSync(join(root, "loom.toml"), `${toml}\n[telemetry]\notlp_endpoint = "${collector.httpUrl}"\n`);
    expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root)).code).toBe(0);
    try {
      const asked = await loom(["pub", "hello.input", '{"name":"Ada"}', "--reply"], root);
      expect(asked.code).toBe(0);
      expect(asked.out).toContain("Ada");
      const [row] = JSON.parse((await loom(["traces", "--json", "--limit", "1"], root)).out) as { trace_id: string; spans: number }[];
      const { dashboard } = JSON.parse((await loom(["status", "--json"], root)).out) as { dashboard: string };
      const atLoom = await poll("the whole trace at loom", async () => {
        const got = (await (await fetch(`${dashboard}/api/traces/${row!.trace_id}`)).json()) as SpanData[];
        return got.some((s) => s.name === "agent.on_event") && got;
      });
      // The request and the reply, their deliveries, the starter's handler and the tool it calls.
      expect(atLoom.map((s) => s.name).sort()).toEqual(["agent.on_event", "bridge.forward", "bridge.forward", "bridge.publish", "bridge.publish", "bridge.tool_call"]);
      const atCollector = await poll("the same spans at the collector", () => {
        const got = collector.spans.filter((s) => s.traceId === row!.trace_id);
        return got.length === atLoom.length && got;
      });
      expect(atCollector.map((s) => s.spanId).sort()).toEqual(atLoom.map((s) => s.span_id).sort());
      const shown = (await loom(["traces", row!.trace_id], root)).out;
      for (const name of ["bridge.publish", "bridge.forward", "agent.on_event"]) expect(shown).toContain(name);
    } finally {
      await loom(["down"], root);
    }
  });

  for (const protocol of ["grpc", "http/protobuf", "http/json"] as const)
    test(`[telemetry] otlp_protocol = "${protocol}": the pub's trace, the agent's spans and the metrics reach a collector with the same ids`, async () => {
      const collector = await new OtlpCollector().start();
      collectors.push(collector);
      const endpoint = protocol === "grpc" ? `http://127.0.0.1:${collector.grpcPort}` : collector.httpUrl;
      const { root, dashboard } = await running(`[telemetry]\notlp_endpoint = "${endpoint}"\notlp_protocol = "${protocol}"\n`, { OTEL_METRIC_EXPORT_INTERVAL: "500" });
      expect((await loom(["pub", "echo.in", '{"name":"Ada"}', "--reply"], root)).code).toBe(0);
      const [row] = JSON.parse((await loom(["traces", "--json", "--limit", "1"], root)).out) as { trace_id: string }[];
      const atLoom = await poll("the agent's span at loom", async () => {
        const got = (await (await fetch(`${dashboard}/api/traces/${row!.trace_id}`)).json()) as SpanData[];
        return got.some((s) => s.name === "agent.on_event") && got;
      });
      const exported = await poll("the trace at the collector", () => {
        const got = collector.spans.filter((s) => s.traceId === row!.trace_id);
        return got.length >= atLoom.length && got;
      });
      expect(exported.map((s) => s.spanId).sort()).toEqual(expect.arrayContaining(atLoom.map((s) => s.span_id).sort()));
      expect(exported.find((s) => s.name === "agent.on_event")?.service).toBe("agent-echo");
      expect(exported.find((s) => s.name === "bridge.publish")?.service).toBe("loom-runtime");
      const published = await poll("the metrics at the collector", () => collector.metrics.find((m) => m.name === "loom_event_bus_published_total" && m.points[0]!.value >= 2));
      expect(published.kind).toBe("sum");
      expect(collector.metrics.find((m) => m.name === "loom_process_up")?.points.map((p) => p.attributes.name)).toContain("echo");
      expect(new Set(collector.requests.map((r) => r.via))).toEqual(new Set([protocol]));
      expect((await loom(["down"], root)).code).toBe(0);
    });
});
