/**
 * loom as a Bridge agent, for `loom pub` and `loom sub`: RegisterAgent with its topics, then the
 * EventStream with the Ack handshake first (docs/runtime-contract.md "Bridge protocol"). Works
 * against the native runtime and the embedded Bridge alike.
 */
import { explainGrpc } from "./grpc-error";
import { randomUUID } from "node:crypto";
import { loomV1 } from "../protocol/services";
import { withTraceContext } from "../telemetry/trace-context";
import type { AgentRegisterResponse, Delivery as WireDelivery } from "../protocol/loom.generated";
import type { WireEvent } from "../protocol/envelope";
import { LoomError } from "../errors";
import { type BridgeTarget, credentialsFor } from "./address";

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
  /** Half-closes the stream and waits for the Bridge to end it (everything written is handled). */
  close(): Promise<void>;
}

export async function connectAgent(target: BridgeTarget, id: string, topics: string[]): Promise<CliAgent> {
  const { Bridge } = loomV1();
  const address = target.address;
  const client = new Bridge(address, credentialsFor(target));
  const reply = await new Promise<AgentRegisterResponse>((resolve, reject) =>
    client.RegisterAgent({ agent_id: id, subscribed_topics: topics, tools: [], metadata: { client: "loom-cli" } }, (e, r) =>
      e ? reject(new LoomError("PROCESS", `cannot register with the Bridge at ${address}: ${explainGrpc(e)}`, { hint: "is it running? `loom ping`" })) : resolve(r!),
    ),
  );
  if (!reply.success) throw new LoomError("PROCESS", `the Bridge at ${address} refused ${id}: ${reply.error_message}`);
  const call = client.EventStream();
  // The call's final status, not the stream's 'end': that needs a reader, and `pub` reads nothing.
  const ended = new Promise<void>((resolve) => {
    call.on("status", () => resolve());
    call.on("error", () => resolve());
  });
  call.write({ ack: { message_id: id } });
  return {
    id,
    publish(topic, payload, metadata = {}) {
      // Each event starts a trace unless the caller gave a context (docs/dashboard.md "Traces").
      const event: WireEvent = { id: randomUUID(), type: "loom.cli", timestamp_ms: Date.now(), source: id, payload: Buffer.from(payload), metadata: withTraceContext(metadata) };
      call.write({ publish: { topic, event } });
      return event.id!;
    },
    onDelivery(handler) {
      call.on("data", (m) => m.msg === "delivery" && m.delivery && handler(m.delivery));
    },
    async close() {
      call.end();
      await Promise.race([ended, Bun.sleep(2_000)]);
      client.close();
    },
  };
}
