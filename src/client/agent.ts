/**
 * loom as a Bridge agent, for `loom pub` and `loom sub`: RegisterAgent with its topics, then the
 * EventStream with the Ack handshake first (docs/runtime-contract.md "Bridge protocol"). Works
 * against the native runtime and the embedded Bridge alike.
 */
import { withTraceContext } from "../telemetry/trace-context";
import type { AgentRegisterResponse, ServerEvent } from "../protocol/loom.generated";
import type { WireEvent } from "../protocol/envelope";
import { LoomError } from "../errors";
import type { BridgeTarget } from "./address";
import { wireMethod } from "../protocol/wire";
import { H2Client } from "./h2-grpc";

export interface Delivery {
  topic: string;
  event: WireEvent;
}

export interface CliAgent {
  id: string;
  /** Publishes `payload` (JSON text); returns the event's id. */
  publish(topic: string, payload: string, metadata?: Record<string, string>): string;
  /** Calls `onDelivery` for each event until the stream ends. */
  onDelivery(handler: (d: Delivery) => void): void;
  /** Resolves when the Bridge ends the stream (it stopped, or closed the connection): why. */
  readonly lost: Promise<string>;
  /**
   * Half-closes the stream and waits for the Bridge to end it (everything written is handled);
   * `handled` says it is known already (a request was answered): no need to wait.
   */
  close(handled?: boolean): Promise<void>;
}

export async function connectAgent(target: BridgeTarget, id: string, topics: string[]): Promise<CliAgent> {
  const address = target.address;
  const client = new H2Client(target);
  const registration = { agent_id: id, subscribed_topics: topics, tools: [], metadata: { client: "loom-cli" } };
  const reply = await client.unary(wireMethod<AgentRegisterResponse>("Bridge", "RegisterAgent")!, registration, 10_000).catch((e: Error) => {
    client.close();
    throw new LoomError("PROCESS", `cannot register with the Bridge at ${address}: ${e.message}`, { hint: "is it running? `loom ping`" });
  });
  if (!reply.success) {
    client.close();
    throw new LoomError("PROCESS", `the Bridge at ${address} refused ${id}: ${reply.error_message}`);
  }
  const call = client.open(wireMethod<ServerEvent>("Bridge", "EventStream")!);
  // The call's end, not a reader's: `pub` reads nothing.
  const lost = call.done.then(
    () => "the Bridge ended the stream",
    (e: Error) => e.message,
  );
  const ended = lost.then(() => {});
  call.write({ ack: { message_id: id } });
  return {
    id,
    lost,
    publish(topic, payload, metadata = {}) {
      // Each event starts a trace unless the caller gave a context (docs/dashboard.md "Traces").
      const event: WireEvent = {
        id: crypto.randomUUID(),
        type: "loom.cli",
        timestamp_ms: Date.now(),
        source: id,
        payload: Buffer.from(payload),
        metadata: withTraceContext(metadata),
      };
      call.write({ publish: { topic, event } });
      return event.id!;
    },
    onDelivery(handler) {
      call.onMessage((m) => {
        if (m.msg === "delivery" && m.delivery?.event) handler({ topic: m.delivery.topic, event: m.delivery.event });
      });
    },
    async close(handled = false) {
      call.end();
      if (!handled) await Promise.race([ended, Bun.sleep(2_000)]);
      client.close();
    },
  };
}
