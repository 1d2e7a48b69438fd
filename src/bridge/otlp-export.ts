/**
 * The Bridge's spans forwarded to a collector the user names (`[telemetry] otlp_endpoint`, as
 * LOOM_OTLP_ENDPOINT): OTLP over HTTP in its JSON encoding (`POST <endpoint>/v1/traces`, which
 * the OpenTelemetry Collector, Jaeger and Tempo accept), batched once a second, at most
 * QUEUE_SPANS waiting (the oldest go first, counted), a request given 10 s. A collector that is
 * down or slow costs that queue and one warning, and the next batch is tried a second later: the
 * Bridge never waits for it. Hand-written because the OTLP JSON shape is a few lines here and
 * OpenTelemetry's exporter would bring its SDK into the executable for them.
 */
import type { SpanData, SpanStore } from "./spans";

const QUEUE_SPANS = 4_096;
const BATCH_SPANS = 512;
const EVERY_MS = 1_000;
const TIMEOUT_MS = 10_000;

/** A span as OTLP's JSON encoding writes it (ids in hex, times as strings of Unix nanoseconds). */
function otlpSpan(s: SpanData): Record<string, unknown> {
  return {
    traceId: s.trace_id,
    spanId: s.span_id,
    ...(s.parent_span_id ? { parentSpanId: s.parent_span_id } : {}),
    name: s.name,
    kind: s.name === "bridge.tool_call" || s.name === "chat" ? 3 : 1, // CLIENT : INTERNAL
    startTimeUnixNano: String(s.start_time),
    endTimeUnixNano: String(s.start_time + s.duration),
    attributes: Object.entries(s.attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
    status: s.status === "error" ? { code: 2, message: s.error_message ?? "" } : { code: s.status === "ok" ? 1 : 0 },
  };
}

export interface OtlpExporter {
  dropped: number;
  exported: number;
  stop(): void;
}

/** Follows `store` and posts its spans to `endpoint` (a base URL: `/v1/traces` is appended unless given). */
export function exportSpans(store: SpanStore, endpoint: string, serviceName: string, warn: (message: string) => void): OtlpExporter {
  const url = /\/v1\/traces\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, "")}/v1/traces`;
  const queue: SpanData[] = [];
  const state: OtlpExporter = { dropped: 0, exported: 0, stop: () => clearInterval(timer) };
  let sending = false;
  let warned = false;
  const follow = (span: SpanData) => {
    queue.push(span);
    if (queue.length > QUEUE_SPANS) state.dropped += queue.splice(0, queue.length - QUEUE_SPANS).length;
  };
  store.followers.add(follow);
  const send = async () => {
    if (sending || queue.length === 0) return;
    sending = true;
    const batch = queue.splice(0, BATCH_SPANS);
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: serviceName } }] },
          scopeSpans: [{ scope: { name: "loom.bridge" }, spans: batch.map(otlpSpan) }],
        },
      ],
    };
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
      await response.arrayBuffer().catch(() => {});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      state.exported += batch.length;
      if (warned) warn(`OTLP export to ${url} works again`);
      warned = false;
    } catch (e) {
      state.dropped += batch.length;
      if (!warned) warn(`OTLP export to ${url} failed (${(e as Error).message}); spans are dropped until it answers (at most ${QUEUE_SPANS} wait)`);
      warned = true;
    } finally {
      sending = false;
    }
  };
  const timer = setInterval(() => void send(), EVERY_MS);
  timer.unref?.();
  const stop = state.stop;
  state.stop = () => {
    stop();
    store.followers.delete(follow);
  };
  return state;
}
