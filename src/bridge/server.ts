/**
 * The embedded Bridge: loom.v1.Bridge served by loom itself with @grpc/grpc-js, with upstream's
 * semantics (docs/runtime-contract.md "Bridge protocol"), so SDK agents cannot tell it from the
 * native runtime in anything they rely on:
 * - RegisterAgent stores an agent's topics and tools (a later call replaces them); an empty id
 *   answers success=false.
 * - EventStream: the first message must be Ack{message_id = agent id}, else INVALID_ARGUMENT; the
 *   agent is subscribed to the topics it registered; a Publish goes to every matching subscriber
 *   (exact, or a trailing `.*`), the Delivery naming the subscription pattern; events nobody
 *   subscribes to are dropped; Ping answers Pong; when the stream ends the agent is unregistered.
 * - ForwardToolCall calls the Bridge's tool registry (tools/); beyond upstream, a tool no built-in
 *   answers for but a connected agent declared in RegisterAgent is sent to that agent as
 *   ServerEvent.tool_call and its ClientEvent.tool_result is the answer. ToolCall.timeout_ms is
 *   honoured (30 s when 0). Failures are an OK answer whose ToolResult.status says what failed.
 * - MemoryService is served in memory (memory.ts).
 * - Heartbeat answers {timestamp_ms, status "ok"}.
 * Where upstream is plainly broken, the protocol's intent (README "Embedded Bridge"): a published
 * event without `reply_to` in its metadata gets `agent.<id>.replies`, and a reconnecting agent's
 * old stream ending does not tear down its new one.
 * Each subscriber has a bounded queue (QUEUE_LIMIT): a slow agent loses its oldest events (counted)
 * rather than growing the Bridge's memory.
 */
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { MemoryStore } from "./memory";
import { loomV1 } from "./proto";
import { DEFAULT_TOOL_TIMEOUT_MS, failure, parseArguments, ToolFailure, ToolRegistry, type WireToolResult } from "./tools/registry";
import { matchingPattern } from "./topics";

export const QUEUE_LIMIT = 512;

export interface WireEvent {
  id?: string;
  type?: string;
  timestamp_ms?: number;
  source?: string;
  metadata?: Record<string, string>;
  payload?: Uint8Array;
  confidence?: number;
  tags?: string[];
  priority?: number;
}

interface Registration {
  topics: string[];
  tools: { name: string; description?: string }[];
}

export interface WireToolCall {
  id?: string;
  name?: string;
  arguments?: string;
  headers?: Record<string, string>;
  timeout_ms?: number;
  correlation_id?: string;
  qos?: string;
}

interface PendingCall {
  agentId: string;
  settle: (result: WireToolResult) => void;
}

interface Subscriber {
  agentId: string;
  topics: string[];
  call: grpc.ServerDuplexStream<unknown, unknown>;
  queue: unknown[];
  writable: boolean;
}

export interface BridgeStats {
  published: number;
  delivered: number;
  dropped: number;
  startedAt: number;
}

export class EmbeddedBridge {
  readonly registrations = new Map<string, Registration>();
  readonly subscribers = new Map<string, Subscriber>();
  readonly stats: BridgeStats = { published: 0, delivered: 0, dropped: 0, startedAt: Date.now() };
  /** Tool calls sent to agents, by call id, until their tool_result (or deadline) comes. */
  private readonly pendingCalls = new Map<string, PendingCall>();
  private readonly memory = new MemoryStore();
  /** Every published event, for the dashboard's stream (server-sent events). */
  onPublish?: (topic: string, event: WireEvent, from: string) => void;
  private server?: grpc.Server;

  constructor(readonly tools: ToolRegistry = new ToolRegistry()) {}

  /** The agent whose live stream serves a tool it declared, if one does. */
  private declaringAgent(name: string): Subscriber | undefined {
    for (const [agentId, reg] of this.registrations) {
      const sub = this.subscribers.get(agentId);
      if (sub && reg.tools.some((t) => t.name === name)) return sub;
    }
    return undefined;
  }

  async forwardToolCall(call: WireToolCall): Promise<WireToolResult> {
    const id = call.id || randomUUID();
    const name = call.name ?? "";
    const timeoutMs = Number(call.timeout_ms) > 0 ? Number(call.timeout_ms) : DEFAULT_TOOL_TIMEOUT_MS;
    if (this.tools.serves(name)) return this.tools.call(id, name, call.arguments ?? "", timeoutMs);
    const agent = this.declaringAgent(name);
    if (!agent) return failure(id, new ToolFailure("not_found", name));
    try {
      parseArguments(call.arguments ?? "");
    } catch (e) {
      return failure(id, e as ToolFailure);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(failure(id, new ToolFailure("timeout", ""))), timeoutMs);
      const settle = (result: WireToolResult) => {
        clearTimeout(timer);
        this.pendingCalls.delete(id);
        resolve({ ...result, id });
      };
      this.pendingCalls.set(id, { agentId: agent.agentId, settle });
      this.write(agent, { tool_call: { ...call, id, arguments: call.arguments || "{}", timeout_ms: timeoutMs } });
    });
  }

  /** An agent's stream ended: its unanswered tool calls fail now rather than at their deadline. */
  private failCallsOf(agentId: string): void {
    for (const [id, pending] of this.pendingCalls)
      if (pending.agentId === agentId) pending.settle(failure(id, new ToolFailure("failed", `agent ${agentId} disconnected before answering`)));
  }

  private write(sub: Subscriber, message: unknown): void {
    if (!sub.writable || sub.queue.length) {
      sub.queue.push(message);
      if (sub.queue.length > QUEUE_LIMIT) {
        sub.queue.shift();
        this.stats.dropped++;
      }
      return;
    }
    sub.writable = sub.call.write(message);
  }

  private flush(sub: Subscriber): void {
    sub.writable = true;
    while (sub.writable && sub.queue.length) sub.writable = sub.call.write(sub.queue.shift());
  }

  publish(from: string, topic: string, event: WireEvent): void {
    this.stats.published++;
    const metadata = { ...(event.metadata ?? {}) };
    if (!metadata.reply_to) metadata.reply_to = `agent.${from}.replies`;
    const delivered = { ...event, metadata };
    this.onPublish?.(topic, delivered, from);
    for (const sub of this.subscribers.values()) {
      const pattern = matchingPattern(sub.topics, topic);
      if (pattern === undefined) continue;
      this.stats.delivered++;
      this.write(sub, { delivery: { topic: pattern, event: delivered } });
    }
  }

  private eventStream(call: grpc.ServerDuplexStream<Record<string, unknown>, unknown>): void {
    let sub: Subscriber | undefined;
    call.on("data", (message: Record<string, unknown>) => {
      if (!sub) {
        const ack = message.ack as { message_id?: string } | undefined;
        if (message.msg !== "ack" || !ack?.message_id) {
          call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: "the first message must be Ack{message_id = agent id}" });
          return;
        }
        const agentId = ack.message_id;
        sub = { agentId, topics: [...(this.registrations.get(agentId)?.topics ?? [])], call, queue: [], writable: true };
        this.subscribers.set(agentId, sub); // a reconnecting agent's new stream replaces the old one
        call.on("drain", () => sub && this.flush(sub));
        return;
      }
      if (message.msg === "publish") {
        const p = message.publish as { topic: string; event?: WireEvent };
        this.publish(sub.agentId, p.topic, p.event ?? {});
      } else if (message.msg === "ping") this.write(sub, { pong: { timestamp_ms: Date.now(), status: "ok" } });
      else if (message.msg === "tool_result") {
        const result = message.tool_result as WireToolResult;
        const pending = this.pendingCalls.get(result.id);
        // Only the agent the call went to may answer it.
        if (pending && pending.agentId === sub.agentId) pending.settle(result);
      }
    });
    const end = () => {
      // Only the agent's current stream unregisters it: an old one ending after a reconnect does not.
      if (sub && this.subscribers.get(sub.agentId) === sub) {
        this.subscribers.delete(sub.agentId);
        this.registrations.delete(sub.agentId);
        this.failCallsOf(sub.agentId);
      }
      try {
        call.end();
      } catch {}
    };
    call.on("end", end);
    call.on("error", end);
    call.on("cancelled", end);
  }

  private implementation(): grpc.UntypedServiceImplementation {
    return {
      RegisterAgent: (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, reply: grpc.sendUnaryData<unknown>) => {
        const req = call.request as { agent_id: string; subscribed_topics: string[]; tools: Registration["tools"] };
        if (!req.agent_id) return reply(null, { success: false, error_message: "agent_id is empty" });
        this.registrations.set(req.agent_id, { topics: req.subscribed_topics ?? [], tools: req.tools ?? [] });
        reply(null, { success: true, error_message: "" });
      },
      EventStream: (call: grpc.ServerDuplexStream<Record<string, unknown>, unknown>) => this.eventStream(call),
      ForwardToolCall: (call: grpc.ServerUnaryCall<WireToolCall, unknown>, reply: grpc.sendUnaryData<unknown>) => {
        this.forwardToolCall(call.request).then((result) => reply(null, result));
      },
      Heartbeat: (_call: unknown, reply: grpc.sendUnaryData<unknown>) => reply(null, { timestamp_ms: Date.now(), status: "ok" }),
    };
  }

  /** Listens on `address` (an IP literal and port); resolves with the bound port. */
  listen(address: string): Promise<number> {
    const server = new grpc.Server();
    server.addService(loomV1().Bridge.service, this.implementation());
    server.addService(loomV1().MemoryService.service, this.memory.implementation());
    this.server = server;
    return new Promise((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
  }

  close(): void {
    this.server?.forceShutdown();
  }
}
