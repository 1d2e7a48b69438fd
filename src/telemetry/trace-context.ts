/**
 * Trace context as it travels in envelope metadata and tool call headers, in both of its forms:
 * upstream's `trace_id` (32 hex), `span_id` (16 hex), `trace_flags` (docs/runtime-contract.md
 * "Observability") and W3C's `traceparent`. Kept apart from spans.ts so the TypeScript SDK reads
 * and writes it without the Bridge's span store.
 */
import { randomHex } from "../system/random";

export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const valid = (trace: string | undefined, span: string | undefined) => !!trace && !!span && TRACE_ID.test(trace) && SPAN_ID.test(span) && !/^0+$/.test(trace) && !/^0+$/.test(span);

/** The context an envelope (or a tool call's headers) carries: upstream's keys first, then `traceparent`. */
export function contextFrom(meta: Record<string, string> | undefined): TraceContext | undefined {
  if (!meta) return undefined;
  const trace = meta.trace_id?.toLowerCase();
  const span = meta.span_id?.toLowerCase();
  if (valid(trace, span)) return { traceId: trace!, spanId: span!, flags: /^[0-9a-f]{2}$/i.test(meta.trace_flags ?? "") ? meta.trace_flags! : "01" };
  const parts = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(meta.traceparent?.trim().toLowerCase() ?? "");
  return parts && valid(parts[1], parts[2]) ? { traceId: parts[1]!, spanId: parts[2]!, flags: parts[3]! } : undefined;
}

/** `ctx` as envelope metadata, in both forms. */
export function contextMetadata(ctx: TraceContext): Record<string, string> {
  return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: ctx.flags, traceparent: `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}` };
}

/** A new trace, for what a publisher sends outside any other: its own root context. */
export function newTraceContext(): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), flags: "01" };
}

/** `meta` with a new root context when it carries none (a context it has is kept). */
export function withTraceContext(meta: Record<string, string> = {}): Record<string, string> {
  return contextFrom(meta) ? meta : { ...meta, ...contextMetadata(newTraceContext()) };
}
