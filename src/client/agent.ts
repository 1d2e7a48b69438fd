/**
 * loom as a Bridge agent, for `loom pub` and `loom sub`: RegisterAgent with its topics, then the
 * EventStream with the Ack handshake first (docs/runtime-contract.md "Bridge protocol"). Works
 * against the native runtime and the embedded Bridge alike.
 */
import { withTraceContext } from "../telemetry/trace-context";
import type { AgentRegisterRequestInit, AgentRegisterResponse, ServerEvent } from "../protocol/loom.generated";
import type { WireEvent } from "../protocol/envelope";
import { LoomError } from "../errors";
import type { BridgeTarget } from "./address";
import { wireMethod } from "../protocol/wire";
import { type Call, H2Client } from "./h2-grpc";

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

/** The Bridge answered RegisterAgent with success false. */
export class RefusedError extends Error {}

/**
 * RegisterAgent, then the EventStream with the Ack first: how every agent of loom's joins (the
 * CLI's here, the SDK's in sdk/connection.ts). Rejects with a RefusedError when the Bridge says
 * no, with a CallError when it cannot be reached.
 */
export async function openAgentStream(client: H2Client, registration: AgentRegisterRequestInit, timeoutMs: number): Promise<Call<ServerEvent>> {
  const reply = await client.unary(wireMethod<AgentRegisterResponse>("Bridge", "RegisterAgent")!, registration, timeoutMs);
  if (!reply.success) throw new RefusedError(reply.error_message);
  const stream = client.open(wireMethod<ServerEvent>("Bridge", "EventStream")!);
  stream.write({ ack: { message_id: registration.agent_id } });
  return stream;
}

export async function connectAgent(target: BridgeTarget, id: string, topics: string[]): Promise<CliAgent> {
  const address = target.address;
  const client = new H2Client(target);
  const registration = { agent_id: id, subscribed_topics: topics, tools: [], metadata: { client: "loom-cli" } };
  const call = await openAgentStream(client, registration, 10_000).catch((e: Error) => {
    client.close();
    if (e instanceof RefusedError) throw new LoomError("PROCESS", `the Bridge at ${address} refused ${id}: ${e.message}`);
    throw new LoomError("PROCESS", `cannot register with the Bridge at ${address}: ${e.message}`, { hint: "is it running? `loom ping`" });
  });
  // The call's end, not a reader's: `pub` reads nothing.
  const lost = call.done.then(
    () => "the Bridge ended the stream",
    (e: Error) => e.message,
  );
  const ended = lost.then(() => {});
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
