/**
 * A collector for tests, built from OTLP's own message definitions (test/fixtures/otlp/, not
 * loom's src/telemetry/otlp.proto): OTLP/gRPC and OTLP/HTTP (protobuf and JSON) on loopback port 0,
 * keeping every span (ids in hex) and metric it receives.
 */
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { join } from "pathe";

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(import.meta.dir, "../fixtures/otlp", target.replace(/^.*\//, ""));
root.loadSync(["collector.proto", "collector-metrics.proto"]);
const TraceRequest = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest");
const MetricsRequest = root.lookupType("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest");
const AS_JSON: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: String };

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  attributes: Record<string, string>;
  status: number;
}

export interface CollectedMetric {
  name: string;
  kind: "gauge" | "sum" | "histogram";
  points: { attributes: Record<string, string>; value: number }[];
}

type Kv = { key: string; value?: { stringValue?: string; intValue?: string; doubleValue?: number; boolValue?: boolean } };
const flat = (kvs: Kv[] | undefined) =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, String(kv.value?.stringValue ?? kv.value?.intValue ?? kv.value?.doubleValue ?? kv.value?.boolValue ?? "")]));
const hex = (v: string | undefined, base64: boolean) => (!v ? "" : base64 ? Buffer.from(v, "base64").toString("hex") : v.toLowerCase());

export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  readonly metrics: CollectedMetric[] = [];
  readonly requests: { via: "grpc" | "http/protobuf" | "http/json"; signal: string }[] = [];
  private grpcServer = new grpc.Server();
  private http?: ReturnType<typeof Bun.serve>;
  grpcPort = 0;

  get httpUrl(): string {
    return `http://127.0.0.1:${this.http!.port}`;
  }

  async start(): Promise<this> {
    const unary = (path: string, type: protobuf.Type, signal: string): grpc.ServiceDefinition => ({
      Export: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: Buffer) => v,
        requestDeserialize: (b: Buffer) => type.toObject(type.decode(b), AS_JSON),
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: (b: Buffer) => b,
        originalName: signal,
      },
    });
    this.grpcServer.addService(unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export", TraceRequest, "traces"), {
      Export: (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, done: grpc.sendUnaryData<object>) => {
        this.take("traces", call.request, true, "grpc");
        done(null, {});
      },
    });
    this.grpcServer.addService(unary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", MetricsRequest, "metrics"), {
      Export: (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, done: grpc.sendUnaryData<object>) => {
        this.take("metrics", call.request, true, "grpc");
        done(null, {});
      },
    });
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      this.grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))),
    );
    this.http = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req) => {
        const signal = new URL(req.url).pathname.replace(/^\/v1\//, "");
        const binary = req.headers.get("content-type") === "application/x-protobuf";
        const type = signal === "traces" ? TraceRequest : MetricsRequest;
        const body = binary ? type.toObject(type.decode(new Uint8Array(await req.arrayBuffer())), AS_JSON) : await req.json();
        this.take(signal, body, binary, binary ? "http/protobuf" : "http/json");
        return binary ? new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } }) : Response.json({});
      },
    });
    return this;
  }

  /** `base64`: ids came as protobuf bytes (rendered base64 by toObject), else as the JSON encoding's hex. */
  private take(signal: string, body: Record<string, unknown>, base64: boolean, via: "grpc" | "http/protobuf" | "http/json"): void {
    this.requests.push({ via, signal });
    if (signal === "traces")
      for (const rs of (body.resourceSpans ?? []) as { resource?: { attributes?: Kv[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[]) {
        const service = flat(rs.resource?.attributes)["service.name"] ?? "";
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            this.spans.push({
              traceId: hex(s.traceId as string, base64),
              spanId: hex(s.spanId as string, base64),
              parentSpanId: hex(s.parentSpanId as string | undefined, base64),
              name: s.name as string,
              service,
              attributes: flat(s.attributes as Kv[]),
              status: Number((s.status as { code?: number } | undefined)?.code ?? 0),
            });
      }
    else if (signal === "metrics")
      for (const rm of (body.resourceMetrics ?? []) as { scopeMetrics?: { metrics?: Record<string, { dataPoints?: Record<string, unknown>[] } | string>[] }[] }[])
        for (const sm of rm.scopeMetrics ?? [])
          for (const m of sm.metrics ?? []) {
            const kind = (["gauge", "sum", "histogram"] as const).find((k) => m[k]);
            if (!kind) continue;
            const points = ((m[kind] as { dataPoints?: Record<string, unknown>[] }).dataPoints ?? []).map((p) => ({
              attributes: flat(p.attributes as Kv[]),
              value: Number(p.asDouble ?? p.asInt ?? p.count ?? 0),
            }));
            this.metrics.push({ name: m.name as string, kind, points });
          }
  }

  stop(): void {
    this.grpcServer.forceShutdown();
    this.http?.stop(true);
  }
}
