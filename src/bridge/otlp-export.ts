/**
 * Spans and metrics forwarded to a collector the user names (`[telemetry] otlp_endpoint`, or their
 * own OTEL_EXPORTER_OTLP_ENDPOINT; LOOM_OTLP_ENDPOINT and LOOM_OTLP_PROTOCOL here): OTLP over
 * gRPC, HTTP/protobuf or HTTP/JSON (otlp.ts). Spans go in batches of BATCH_SPANS, once a second
 * or as soon as a batch is full, at most QUEUE_SPANS waiting (the oldest go first, counted); metrics every OTEL_METRIC_EXPORT_INTERVAL ms (60 s, as
 * OpenTelemetry's SDKs), cumulative. A request is given 10 s. A collector that is down or slow
 * costs that queue and one warning, and the next batch is tried later: the Bridge never waits for
 * it. Hand-written on otlp.proto because OpenTelemetry's exporters would bring their SDK into the
 * executable for a few lines of mapping.
 */
import { BUCKETS, type Family } from "./dashboard/metrics";
import { collectorService, encode, keyValues, traceRequestOf } from "../telemetry/otlp";
import { type SpanData, type SpanStore, spanBytes } from "../telemetry/spans";

const QUEUE_SPANS = 4_096;
/** And in bytes: received spans may be large (otlp-read.ts bounds each). */
const QUEUE_BYTES = 16 * 1024 * 1024;
const BATCH_SPANS = 512;
const EVERY_MS = 1_000;
const TIMEOUT_MS = 10_000;

export type OtlpProtocol = "grpc" | "http/protobuf" | "http/json";

/** LOOM_OTLP_PROTOCOL as OTEL_EXPORTER_OTLP_PROTOCOL names them; HTTP/protobuf (the specification's default) otherwise. */
export function otlpProtocol(value: string | undefined): OtlpProtocol {
  return value === "grpc" || value === "http/json" ? value : "http/protobuf";
}

export interface OtlpExporter {
  dropped: number;
  exported: number;
  stop(): void;
}

export interface Target {
  endpoint: string;
  protocol: OtlpProtocol;
  service: string;
  warn: (message: string) => void;
}

type Send = (signal: "traces" | "metrics", body: object) => Promise<void>;

/** One function that sends a request of either signal with the target's protocol. */
function sender(target: Target): { send: Send; shown: (signal: string) => string; close(): void } {
  const base = target.endpoint.replace(/\/+$/, "").replace(/\/v1\/(traces|metrics)$/, "");
  if (target.protocol === "grpc") {
    // grpc-js is loaded for this protocol only: the Bridge serves without it (net/grpc-server.ts).
    const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
    const url = URL.parse(base);
    const address = url && /^https?:$/.test(url.protocol) ? url.host : base;
    const credentials = url?.protocol === "https:" ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    const clients = {
      traces: new (grpc.makeGenericClientConstructor(collectorService("trace"), "TraceService"))(address, credentials),
      metrics: new (grpc.makeGenericClientConstructor(collectorService("metrics"), "MetricsService"))(address, credentials),
    };
    return {
      shown: () => `${address} (OTLP/gRPC)`,
      send: (signal, body) =>
        new Promise((resolve, reject) =>
          // A generic client's methods are named by the definition (otlp.ts collectorService): Export.
          clients[signal].Export!(body, { deadline: Date.now() + TIMEOUT_MS }, (e: Error | null) => (e ? reject(e) : resolve())),
        ),
      close: () => {
        clients.traces.close();
        clients.metrics.close();
      },
    };
  }
  const binary = target.protocol === "http/protobuf";
  return {
    shown: (signal) => `${base}/v1/${signal}`,
    send: async (signal, body) => {
      const payload = binary ? Buffer.from(encode(signal === "traces" ? "ExportTraceServiceRequest" : "ExportMetricsServiceRequest", body)) : JSON.stringify(body);
      const response = await fetch(`${base}/v1/${signal}`, {
        method: "POST",
        headers: { "content-type": binary ? "application/x-protobuf" : "application/json" },
        body: payload,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await response.arrayBuffer().catch(() => {});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    },
    close: () => {},
  };
}

/** Warns once when a signal's export starts failing, and once when it works again. */
function warner(target: Target, shown: (signal: string) => string) {
  const failing = new Set<string>();
  return {
    ok(signal: string) {
      if (failing.delete(signal)) target.warn(`OTLP export to ${shown(signal)} works again`);
    },
    failed(signal: string, e: unknown, what: string) {
      if (failing.has(signal)) return;
      failing.add(signal);
      target.warn(`OTLP export to ${shown(signal)} failed (${(e as Error).message}); ${what}`);
    },
  };
}

/**
 * Follows `store` and sends its spans, and `metrics()` when given, to the target; `stop` ends both.
 * Spans a receiver took in (otlp-receive.ts) are forwarded too, under their own service's name.
 */
export function exportTelemetry(store: SpanStore, target: Target, metrics?: () => Promise<Family[]>, metricsEveryMs = 60_000): OtlpExporter {
  const { send, shown, close } = sender(target);
  const warn = warner(target, shown);
  const queue: SpanData[] = [];
  let sending = false;
  let queuedBytes = 0;
  const follow = (span: SpanData) => {
    queue.push(span);
    queuedBytes += spanBytes(span);
    while (queue.length > QUEUE_SPANS || queuedBytes > QUEUE_BYTES) {
      queuedBytes -= spanBytes(queue.shift()!);
      state.dropped++;
    }
  };
  const sendSpans = async () => {
    if (sending || queue.length === 0) return;
    sending = true;
    const batch = queue.splice(0, BATCH_SPANS);
    for (const s of batch) queuedBytes -= spanBytes(s);
    try {
      await send("traces", traceRequestOf(batch, target.service, target.protocol !== "http/json"));
      state.exported += batch.length;
      warn.ok("traces");
    } catch (e) {
      state.dropped += batch.length;
      warn.failed("traces", e, `spans are dropped until it answers (at most ${QUEUE_SPANS} wait)`);
    } finally {
      sending = false;
    }
    // A full batch goes at once, as OpenTelemetry's batch processor sends one: the rate kept up with is the collector's.
    if (queue.length >= BATCH_SPANS && !state.stopped) void sendSpans();
  };
  const started = String(Date.now() * 1e6);
  const sendMetrics = async () => {
    if (!metrics) return;
    try {
      await send("metrics", metricsRequestOf(await metrics(), target.service, started));
      warn.ok("metrics");
    } catch (e) {
      warn.failed("metrics", e, "the next export sends the totals again");
    }
  };
  store.followers.add(follow);
  const timers = [setInterval(() => void sendSpans(), EVERY_MS), ...(metrics ? [setInterval(() => void sendMetrics(), metricsEveryMs)] : [])];
  for (const t of timers) t.unref?.();
  const state: OtlpExporter & { stopped?: boolean } = {
    dropped: 0,
    exported: 0,
    stop: () => {
      state.stopped = true;
      for (const t of timers) clearInterval(t);
      store.followers.delete(follow);
      close();
    },
  };
  return state;
}

/** The families as an OTLP metrics request: counters as cumulative monotonic sums, histograms with upstream's bounds. */
export function metricsRequestOf(families: Family[], service: string, startNs: string): object {
  const now = String(Date.now() * 1e6);
  const point = (labels: Record<string, string>) => ({ attributes: keyValues(labels), startTimeUnixNano: startNs, timeUnixNano: now });
  const metrics = families.map((f) => {
    const points = f.samples.map((s) => ({ ...point(s.labels), asDouble: s.value }));
    if (f.type === "counter") return { name: f.name, description: f.help, sum: { dataPoints: points, aggregationTemporality: 2, isMonotonic: true } };
    if (f.type === "gauge") return { name: f.name, description: f.help, gauge: { dataPoints: points } };
    const dataPoints = (f.histograms ?? []).map((h) => ({
      ...point(h.labels),
      count: String(h.count),
      sum: h.sum,
      explicitBounds: BUCKETS,
      bucketCounts: [...h.cumulative, h.count].map((c, i, all) => String(c - (i ? all[i - 1]! : 0))),
    }));
    return { name: f.name, description: f.help, unit: "s", histogram: { dataPoints, aggregationTemporality: 2 } };
  });
  return { resourceMetrics: [{ resource: { attributes: keyValues({ "service.name": service }) }, scopeMetrics: [{ scope: { name: "loom" }, metrics }] }] };
}
