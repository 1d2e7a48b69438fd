/**
 * What loom reads of an OTLP export request (otlp-receive.ts): checked with zod (a JSON body), then
 * turned into the span store's SpanData; everything else a sender writes is ignored.
 */
import { z } from "zod";
import type { SpanData } from "./spans";

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
/** A span's attribute values together: every queue that holds spans (store, history, exporter) counts them, and this bounds each span. */
const MAX_SPAN_CHARS = 16_384;

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
        let budget = MAX_SPAN_CHARS;
        for (const a of (s.attributes ?? []).slice(0, MAX_ATTRIBUTES)) {
          const value = text(a.value).slice(0, Math.min(MAX_VALUE_CHARS, budget));
          budget -= value.length;
          attrs[a.key.slice(0, 256)] = value;
          if (budget <= 0) break;
        }
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
