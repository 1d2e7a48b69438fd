/**
 * OpenTelemetry's protocol as loom speaks it (docs/dashboard.md "Traces"): spans in from any OTLP
 * exporter (gRPC, HTTP/protobuf, HTTP/JSON) as the Bridge's SpanData, spans and metrics out. The
 * messages come from otlp.proto (embedded, parsed with protobufjs as loom.proto is). What a sender
 * writes is checked with zod after decoding: it is a trust boundary like any gRPC message.
 */
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { z } from "zod";
import source from "./otlp.proto" with { type: "text" };
import type { SpanData } from "./spans";

/** In the JSON encoding's names (lowerCamelCase), which protobufjs also uses without keepCase. */
const CONVERSION: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: Array, defaults: false, oneofs: false };

let root: protobuf.Root | undefined;
const type = (name: string) => {
  root ??= protobuf.parse(source as unknown as string).root;
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

// What loom reads of a request; everything else a sender writes is ignored.
const bytesOrHex = z.union([z.string().max(64), z.array(z.number().int()).max(32)]).optional();
const timeNs = z.union([z.string().regex(/^\d{1,20}$/), z.number().nonnegative()]).optional();
/** A value as loom reads it: scalars, and arrays of scalars; maps, bytes and deeper arrays are read as empty. */
const scalars = {
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: z.union([z.string(), z.number()]).optional(),
  doubleValue: z.union([z.number(), z.string()]).optional(),
};
const value = z.object({ ...scalars, arrayValue: z.object({ values: z.array(z.object(scalars)).optional() }).optional() });
type Value = z.infer<typeof value>;
const attributes = z.array(z.object({ key: z.string(), value: value.optional() })).optional();
const span = z.object({
  traceId: bytesOrHex,
  spanId: bytesOrHex,
  parentSpanId: bytesOrHex,
  name: z.string().optional(),
  startTimeUnixNano: timeNs,
  endTimeUnixNano: timeNs,
  attributes,
  status: z.object({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional() }).optional(),
});
export const traceRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes }).optional(),
        scopeSpans: z.array(z.object({ scope: z.object({ name: z.string().optional() }).optional(), spans: z.array(span).optional() })).optional(),
      }),
    )
    .optional(),
});

const hex = (id: string | number[] | undefined) => (typeof id === "string" ? id.toLowerCase() : id ? Buffer.from(id).toString("hex") : "");

/** An attribute's value as the span API's string map holds it. */
function text(v: Partial<Value> | undefined): string {
  if (!v) return "";
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return String(v.boolValue);
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.arrayValue) return JSON.stringify((v.arrayValue.values ?? []).map((item) => text(item)));
  return "";
}

/** OpenTelemetry's own default limit of attributes per span; a value is cut at 4 KB (a prompt's start is enough to know it). */
const MAX_ATTRIBUTES = 128;
const MAX_VALUE_CHARS = 4096;

const STATUS = (code: number | string | undefined): SpanData["status"] =>
  code === 2 || code === "STATUS_CODE_ERROR" ? "error" : code === 1 || code === "STATUS_CODE_OK" ? "ok" : "unset";

/**
 * The spans of an export request (already checked by `traceRequest`), each with its resource's
 * `service.name` among its attributes so the page can say which agent it came from. A span
 * without valid ids is left out and counted.
 */
export function spansOf(request: z.infer<typeof traceRequest>): { spans: SpanData[]; rejected: number } {
  const spans: SpanData[] = [];
  let rejected = 0;
  for (const rs of request.resourceSpans ?? []) {
    const service = text(rs.resource?.attributes?.find((a) => a.key === "service.name")?.value);
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) {
        const traceId = hex(s.traceId);
        const spanId = hex(s.spanId);
        if (!/^[0-9a-f]{32}$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId)) {
          rejected++;
          continue;
        }
        const attrs: Record<string, string> = service ? { "service.name": service.slice(0, 256) } : {};
        for (const a of (s.attributes ?? []).slice(0, MAX_ATTRIBUTES)) attrs[a.key.slice(0, 256)] = text(a.value).slice(0, MAX_VALUE_CHARS);
        const start = Number(s.startTimeUnixNano ?? 0);
        const parent = hex(s.parentSpanId);
        const status = STATUS(s.status?.code);
        spans.push({
          trace_id: traceId,
          span_id: spanId,
          parent_span_id: /^[0-9a-f]{16}$/.test(parent) ? parent : null,
          name: (s.name ?? "").slice(0, 256),
          start_time: start,
          duration: Math.max(0, Number(s.endTimeUnixNano ?? start) - start),
          attributes: attrs,
          status,
          error_message: status === "error" ? (s.status?.message ?? "").slice(0, MAX_VALUE_CHARS) : null,
        });
      }
  }
  return { spans, rejected };
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
