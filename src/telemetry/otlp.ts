/**
 * OpenTelemetry's protocol as loom speaks it (docs/dashboard.md "Traces"): spans in from any OTLP
 * exporter (gRPC, HTTP/protobuf, HTTP/JSON) as the Bridge's SpanData, spans and metrics out. The
 * messages come from otlp.proto (embedded, parsed with protobufjs as loom.proto is). What a sender
 * writes is checked with zod after decoding (otlp-read.ts: kept apart, so the TypeScript SDK,
 * which only writes, does not carry zod).
 */
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import source from "./otlp.proto" with { type: "text" };
import type { SpanData } from "./spans";

/** In the JSON encoding's names (lowerCamelCase), which protobufjs also uses without keepCase. */
const CONVERSION: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: Array, defaults: false, oneofs: false };

let root: protobuf.Root | undefined;
const type = (name: string) => {
  root ??= protobuf.parse(source).root;
  return root.lookupType(`opentelemetry.proto.${name}`);
};

/** Decodes an OTLP protobuf message into the JSON encoding's object shape (ids as byte arrays). */
export function decode(name: "ExportTraceServiceRequest" | "ExportMetricsServiceRequest" | "ExportTraceServiceResponse", bytes: Uint8Array): unknown {
  const t = type(name);
  return t.toObject(t.decode(bytes), CONVERSION);
}

/** Encodes an object in the JSON encoding's shape; ids and other bytes must be Uint8Arrays. */
export function encode(
  name: "ExportTraceServiceRequest" | "ExportMetricsServiceRequest" | "ExportTraceServiceResponse" | "ExportMetricsServiceResponse",
  value: object,
): Uint8Array {
  const t = type(name);
  return t.encode(t.fromObject(value)).finish();
}

/** A gRPC service of the collector's (`opentelemetry.proto.collector.<signal>.v1.<Service>/Export`). */
export function collectorService(signal: "trace" | "metrics"): grpc.ServiceDefinition {
  const [service, request, response] =
    signal === "trace"
      ? (["TraceService", "ExportTraceServiceRequest", "ExportTraceServiceResponse"] as const)
      : (["MetricsService", "ExportMetricsServiceRequest", "ExportMetricsServiceResponse"] as const);
  return {
    Export: {
      path: `/opentelemetry.proto.collector.${signal}.v1.${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: object) => Buffer.from(encode(request, value)),
      requestDeserialize: (bytes: Buffer) => decode(request, bytes),
      responseSerialize: (value: object) => Buffer.from(encode(response, value)),
      responseDeserialize: (bytes: Buffer) => bytes,
      originalName: "export",
    },
  };
}

const CLIENT_SPANS = new Set(["bridge.tool_call", "chat", "agent.tool_call"]);

/**
 * SpanData as an export request, grouped by `service.name` (the attribute a received span kept;
 * `service` for the Bridge's own). `binary`: ids as bytes for the protobuf encoding, else hex (JSON).
 */
export function traceRequestOf(spans: SpanData[], service: string, binary: boolean): object {
  const id = (h: string) => (binary ? Buffer.from(h, "hex") : h);
  const groups = new Map<string, object[]>();
  for (const s of spans) {
    const { "service.name": name = service, ...rest } = s.attributes;
    const group = groups.get(name) ?? [];
    groups.set(name, group);
    group.push({
      traceId: id(s.trace_id),
      spanId: id(s.span_id),
      ...(s.parent_span_id ? { parentSpanId: id(s.parent_span_id) } : {}),
      name: s.name,
      kind: CLIENT_SPANS.has(s.name) ? 3 : 1, // CLIENT : INTERNAL
      startTimeUnixNano: String(s.start_time),
      endTimeUnixNano: String(s.start_time + s.duration),
      attributes: keyValues(rest),
      status: s.status === "error" ? { code: 2, message: s.error_message ?? "" } : { code: s.status === "ok" ? 1 : 0 },
    });
  }
  return {
    resourceSpans: [...groups].map(([name, list]) => ({
      resource: { attributes: keyValues({ "service.name": name }) },
      scopeSpans: [{ scope: { name: "loom" }, spans: list }],
    })),
  };
}

export const keyValues = (map: Record<string, string>) => Object.entries(map).map(([key, v]) => ({ key, value: { stringValue: v } }));
