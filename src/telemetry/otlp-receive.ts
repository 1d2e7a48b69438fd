/**
 * loom's OTLP receiver (docs/dashboard.md "OpenTelemetry in"): what agents export, as Aspire's
 * dashboard takes it, lands in the Bridge's span store beside its own spans, so an agent's
 * `agent.on_event` and LLM spans sit in the trace of the events that caused them. Served on the
 * Bridge's gRPC listeners (the agents' Unix socket and its TCP address: owner only, listen.ts) as
 * `TraceService/Export`, and on the dashboard's address as `POST /v1/traces` (HTTP/protobuf or
 * JSON, guard.ts). Metrics and logs that exporters send are answered and not kept: an agent's
 * exporter is not left failing, and loom's page shows the Bridge's own metrics.
 */
import type { GrpcServer, RpcService, ServerCall, StatusError } from "../net/grpc-server";
import { Status } from "../net/grpc-server";
import { collectorService, decode, encode } from "./otlp";
import { spansOf, traceRequest } from "./otlp-read";
import type { SpanStore } from "./spans";
import type { z } from "zod";

/**
 * Takes an export request into `store`; what the answer says of it. A request in JSON is checked
 * with zod; one decoded from protobuf already has otlp.proto's types (the decoder enforces them,
 * and zod measured twice the decoder's time), and spansOf checks what no type says (id lengths).
 */
export function receiveSpans(store: SpanStore, request: unknown, decoded = false): { accepted: number; rejected: number; error?: string } {
  let data = request as z.infer<typeof traceRequest>;
  if (!decoded) {
    const checked = traceRequest.safeParse(request);
    if (!checked.success) return { accepted: 0, rejected: 0, error: `not an OTLP ExportTraceServiceRequest: ${checked.error.issues[0]?.message ?? "invalid"}` };
    data = checked.data;
  }
  const { spans, rejected } = spansOf(data);
  if (store.enabled) for (const span of spans) store.record(span);
  return { accepted: spans.length, rejected };
}

const partial = (rejected: number, what = "spans without a valid trace_id and span_id") =>
  rejected ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: what } } : {};

/** A collector service that answers every export and keeps nothing (agents' metrics and logs). */
function discarding(signal: "metrics" | "logs", service: string): RpcService {
  return {
    Export: {
      path: `/opentelemetry.proto.collector.${signal}.v1.${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestDeserialize: () => null,
      responseSerialize: () => Buffer.alloc(0),
    },
  };
}

/** Adds the collector's services to the Bridge's gRPC server. */
export function addOtlpServices(server: GrpcServer, store: SpanStore): void {
  server.addService(collectorService("trace"), {
    Export: (call: ServerCall<unknown>, done: (error: StatusError | null, value?: unknown) => void) => {
      const got = receiveSpans(store, call.request, true);
      if (got.error) done({ code: Status.INVALID_ARGUMENT, details: got.error });
      else done(null, partial(got.rejected));
    },
  });
  const ok = (_call: unknown, done: (error: null, value: object) => void) => done(null, {});
  server.addService(discarding("metrics", "MetricsService"), { Export: ok });
  server.addService(discarding("logs", "LogsService"), { Export: ok });
}

/** `POST /v1/traces` (and /v1/metrics, /v1/logs, answered and dropped) on the dashboard's address; undefined for other paths. */
export async function handleOtlpHttp(req: Request, path: string, store: SpanStore | undefined): Promise<Response | undefined> {
  if (!/^\/v1\/(traces|metrics|logs)$/.test(path)) return undefined;
  if (req.method !== "POST") return new Response("OTLP export is POST\n", { status: 405, headers: { allow: "POST" } });
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const binary = type === "application/x-protobuf";
  if (!binary && type !== "application/json") return new Response("OTLP/HTTP takes application/x-protobuf or application/json\n", { status: 415 });
  const body = new Uint8Array(await req.arrayBuffer());
  const answer = (value: object, status = 200) =>
    binary && status === 200
      ? new Response(Buffer.from(encode("ExportTraceServiceResponse", value)), { status, headers: { "content-type": "application/x-protobuf" } })
      : new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
  if (path !== "/v1/traces" || !store) return answer({});
  let request: unknown;
  try {
    request = binary ? decode("ExportTraceServiceRequest", body) : JSON.parse(new TextDecoder().decode(body));
  } catch (e) {
    return answer({ error: `the body is not an OTLP ExportTraceServiceRequest in ${binary ? "protobuf" : "JSON"}: ${(e as Error).message}` }, 400);
  }
  const got = receiveSpans(store, request, binary);
  if (got.error) return answer({ error: got.error }, 400);
  return answer(partial(got.rejected));
}
