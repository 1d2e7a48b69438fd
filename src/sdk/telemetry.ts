/**
 * The TypeScript SDK's own spans (docs/sdk.md "Traces"): `agent.on_event` around each handled
 * event and `agent.tool_call` around each tool it answers, as upstream's Python SDK opens them,
 * sent with OTLP/gRPC to OTEL_EXPORTER_OTLP_ENDPOINT when its protocol is gRPC (what loom gives
 * its agents: the embedded Bridge's receiver, telemetry/otlp-receive.ts), else to the Bridge the
 * agent talks to. Batched every EVERY_MS, at most QUEUE_SPANS waiting (the oldest go first); a
 * receiver that does not answer Export (a native Bridge) is told once and not asked again.
 * LOOM_TELEMETRY_AUTO=0 turns them off, as upstream's.
 */
import { CallError, H2Client } from "../client/h2-grpc";
import type { SpanData, SpanSink } from "../telemetry/spans";
import { channel } from "./connection";

const QUEUE_SPANS = 2_048;
const BATCH_SPANS = 512;
// A quarter of a second: the page shows a request whole soon after it ends (OpenTelemetry batches for 5 s).
const EVERY_MS = 250;
/** grpc-status of a server without the service. */
const UNIMPLEMENTED = 12;

export class SdkSpans implements SpanSink {
  private readonly queue: SpanData[] = [];
  /** To OTLP's TraceService, whose one method is Export (telemetry/otlp.ts collectorService). */
  private client: H2Client;
  private readonly endpoint: ReturnType<typeof channel>;
  private readonly timer: ReturnType<typeof setInterval>;
  private sending?: Promise<void>;
  private gaveUp = false;
  dropped = 0;

  constructor(
    bridgeAddress: string,
    private readonly service: string,
    private readonly log: (line: string) => void,
    env: Record<string, string | undefined> = process.env,
  ) {
    const grpcEndpoint =
      (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL) === "grpc"
        ? (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT)
        : undefined;
    this.endpoint = channel(grpcEndpoint ?? bridgeAddress);
    this.client = new H2Client(this.endpoint);
    this.timer = setInterval(() => void this.flush(), EVERY_MS);
    this.timer.unref?.();
  }

  /** Whether spans are wanted at all (LOOM_TELEMETRY_AUTO=0 says no). */
  static wanted(env: Record<string, string | undefined> = process.env): boolean {
    return env.LOOM_TELEMETRY_AUTO !== "0";
  }

  record(span: SpanData): void {
    if (this.gaveUp) return;
    this.queue.push(span);
    if (this.queue.length > QUEUE_SPANS) this.dropped += this.queue.splice(0, this.queue.length - QUEUE_SPANS).length;
  }

  /** Sends what waits (one batch at a time); resolves when it is sent or refused. */
  async flush(): Promise<void> {
    if (this.queue.length === 0 || this.gaveUp) return;
    // OTLP's messages (protobufjs and otlp.proto) load with the first span, not with the agent.
    const { collectorService, traceRequestOf } = await import("../telemetry/otlp");
    while (this.sending) await this.sending;
    if (this.queue.length === 0 || this.gaveUp) return;
    const batch = this.queue.splice(0, BATCH_SPANS);
    // A receiver that restarted is reached on a new session.
    if (this.client.broken) this.client = new H2Client(this.endpoint);
    this.sending = this.client
      .unary(collectorService("trace").Export!, traceRequestOf(batch, this.service, true), 5_000)
      .then(
        () => {},
        (e: Error) => {
          if (e instanceof CallError && e.status === UNIMPLEMENTED) {
            this.gaveUp = true;
            this.queue.length = 0;
            this.log("the Bridge takes no spans (not loom's embedded Bridge); set OTEL_EXPORTER_OTLP_ENDPOINT to a collector with OTEL_EXPORTER_OTLP_PROTOCOL=grpc to keep them");
          } else this.dropped += batch.length;
        },
      )
      .finally(() => {
        this.sending = undefined;
      });
    await this.sending;
    if (this.queue.length) await this.flush();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.client.close();
  }
}
