/**
 * The embedded Bridge: loom.v1.Bridge served by loom itself, with upstream's
 * semantics (docs/runtime-contract.md "Bridge protocol"), so SDK agents cannot tell it from the
 * native runtime in anything they rely on (the differences are in docs/embedded-bridge.md):
 * - RegisterAgent stores an agent's topics and tools (agents.ts); an empty id answers
 *   success=false, "agent_id cannot be empty".
 * - EventStream: the first message must be Ack{message_id = agent id}, else INVALID_ARGUMENT; the
 *   stream subscribes to the topics registered for that id when it opens; every matching
 *   subscription gets a delivery naming its pattern (bus.ts); a publish is enveloped first
 *   (envelope.ts); a full subscriber makes its publishers wait (their streams are not read), no
 *   event is lost. Several streams of one id all receive; one ending leaves the others as they are.
 * - ForwardToolCall calls the Bridge's tool registry (tools/); beyond upstream, a tool an agent
 *   declared is sent to that agent's newest stream as ServerEvent.tool_call, and its
 *   ClientEvent.tool_result is the answer. ToolCall.timeout_ms is honoured (30 s when 0).
 * - MemoryService is served in memory (memory.ts). Heartbeat echoes the request's timestamp.
 * Served on node:http2 (net/grpc-server.ts), as grpc-js served it before.
 */
import { GrpcServer, type RpcHandlers, type ServerCall, Status, type StatusError } from "../net/grpc-server";
import { ADMIN_SERVICE, adminImplementation } from "./admin";
import { healthImplementation, healthService } from "./health";
import type { BridgeEvent, Topology } from "./dashboard/source";

export type { BridgeEvent };
import { AgentDirectory, registrationBytes, type ToolInfo } from "./agents";
import { type BusStream, EventBus, type Sink } from "./bus";
import { envelopeMetadata, eventBytes, type WireEvent } from "../protocol/envelope";
import { MAX_TOPIC_BYTES, MAX_PENDING_CALL_BYTES, MAX_PENDING_CALLS, MAX_STREAMS, MAX_TOOL_TIMEOUT_MS, PARTIAL_MESSAGE_BYTES } from "./limits";
import { GcPace } from "./gc-pace";
import { type ListenOptions, type Listening, listenOwnerOnly } from "./listen";
import { contextFrom, contextMetadata, endToolSpans, SpanStore } from "../telemetry/spans";
import { MemoryStore } from "./memory";
import { refuseArguments } from "../protocol/tool-arguments";
import type { MemoryDb } from "./memory-db";
import { addOtlpServices } from "../telemetry/otlp-receive";
import { loomMethods, onRequestBytes } from "../protocol/messages";
import { DEFAULT_TOOL_TIMEOUT_MS, failure, parseArguments, ToolFailure, ToolRegistry, type WireToolResult } from "./tools/tool-registry";

export type { WireEvent } from "../protocol/envelope";

export interface WireToolCall {
  id?: string;
  name?: string;
  arguments?: string;
  headers?: Record<string, string>;
  timeout_ms?: number;
  correlation_id?: string;
  qos?: string;
}

type Reply = (error: StatusError | null, value?: unknown) => void;

interface PendingCall {
  stream: BusStream;
  settle: (result: WireToolResult) => void;
  /** The bytes its arguments hold until it is answered. */
  bytes: number;
}

/** The tool call timeout: timeout_ms when positive, else 30 s, never more than MAX_TOOL_TIMEOUT_MS. */
export function toolTimeout(timeoutMs: unknown): number {
  const n = Number(timeoutMs);
  return Number.isFinite(n) && n > 0 ? Math.min(n, MAX_TOOL_TIMEOUT_MS) : DEFAULT_TOOL_TIMEOUT_MS;
}

export class EmbeddedBridge {
  readonly agents = new AgentDirectory();
  /** When the Bridge collects its garbage (gc-pace.ts), told every byte that moves. */
  private readonly pace = new GcPace();
  readonly bus = new EventBus(Date.now, (n) => this.pace.moved(n));
  readonly startedAt = Date.now();
  /** Open streams by agent id, oldest first. */
  readonly streamsById = new Map<string, BusStream[]>();
  private readonly pendingCalls = new Map<string, PendingCall>();
  private pendingCallBytes = 0;
  /** Upstream's MemoryService, its sessions kept in the memory store when there is one. */
  readonly memory: MemoryStore;
  /** What the Bridge did, as spans (spans.ts); LOOM_TRACES=off turns them off. */
  readonly spans = new SpanStore();
  /** Whether an llm:generate span keeps its prompt and completion (LOOM_TRACE_CONTENT=1: [telemetry] capture_content). */
  captureContent = false;
  /** Followers of what happens (the dashboard, which bounds what it keeps). */
  readonly feed = new Set<(e: BridgeEvent) => void>();
  private server?: GrpcServer;
  private listening?: Listening;
  private sweeper?: ReturnType<typeof setInterval>;

  /** `sharedAgents`: ids whose streams share the work (bus.ts; LOOM_SHARED_AGENTS). */
  constructor(
    readonly tools: ToolRegistry = new ToolRegistry(),
    sharedAgents: readonly string[] = [],
    memoryDb?: () => MemoryDb | undefined,
  ) {
    this.bus.shared = new Set(sharedAgents);
    this.memory = new MemoryStore(memoryDb);
  }

  /** The newest open stream of an agent that declared tool `name`. */
  private declaringStream(name: string): BusStream | undefined {
    for (const [agentId, reg] of this.agents.byId) {
      if (!reg.tools.some((t) => t.name === name)) continue;
      const streams = this.streamsById.get(agentId);
      if (streams?.length) return streams[streams.length - 1];
    }
    return undefined;
  }

  private tell(event: BridgeEvent): void {
    for (const listener of this.feed) listener(event);
  }

  async forwardToolCall(call: WireToolCall): Promise<WireToolResult> {
    const started = Date.now();
    const span = this.spans.start("bridge.tool_call", contextFrom(call.headers), { "tool.name": call.name ?? "" });
    const llm = call.name === "llm:generate" ? this.spans.start("chat", span.ctx, { "gen_ai.operation.name": "chat", "gen_ai.system": "openai" }) : undefined;
    const result = await this.callTool({ ...call, headers: { ...call.headers, ...contextMetadata(span.ctx) } });
    endToolSpans(span, llm, result, llm && this.captureContent ? call.arguments : undefined);
    // A reply of megabytes leaves its strings and encodings behind: the collection's pace counts them.
    this.pace.moved((call.arguments?.length ?? 0) + result.output.length);
    if (this.feed.size) this.tell({ kind: "tool", name: call.name ?? "", id: result.id, status: result.status, ms: Date.now() - started, at: Date.now() });
    return result;
  }

  private async callTool(call: WireToolCall): Promise<WireToolResult> {
    const id = call.id || crypto.randomUUID();
    const name = call.name ?? "";
    const timeoutMs = toolTimeout(call.timeout_ms);
    if (this.tools.serves(name)) return this.tools.call(id, name, call.arguments ?? "", timeoutMs);
    const stream = this.declaringStream(name);
    if (!stream) return failure(id, new ToolFailure("not_found", name));
    try {
      const refused = refuseArguments(this.agents.byId.get(stream.agentId)?.tools.find((t) => t.name === name)?.parameters_schema, parseArguments(call.arguments ?? ""));
      if (refused) return failure(id, new ToolFailure("invalid", `${refused} (the schema ${stream.agentId} declared for ${name})`));
    } catch (e) {
      return failure(id, e as ToolFailure);
    }
    if (this.pendingCalls.has(id)) return failure(id, new ToolFailure("invalid", `a call with id ${id} is already waiting for its answer`));
    if (this.pendingCalls.size >= MAX_PENDING_CALLS) return failure(id, new ToolFailure("failed", `${MAX_PENDING_CALLS} tool calls are already waiting for agents`));
    // Bounded in bytes: what waits for an agent that does not read is held until the deadline.
    const bytes = 128 + Buffer.byteLength(call.arguments ?? "") + Buffer.byteLength(name);
    if (stream.full) return failure(id, new ToolFailure("failed", `agent ${stream.agentId} is not reading its events (its queue is full); try again later`));
    if (this.pendingCallBytes + bytes > MAX_PENDING_CALL_BYTES)
      return failure(
        id,
        new ToolFailure("failed", `tool calls waiting for agents already hold ${this.pendingCallBytes} bytes of arguments (at most ${MAX_PENDING_CALL_BYTES}); try again later`),
      );
    this.pendingCallBytes += bytes;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(failure(id, new ToolFailure("timeout", ""))), timeoutMs);
      const settle = (result: WireToolResult) => {
        clearTimeout(timer);
        if (this.pendingCalls.delete(id)) this.pendingCallBytes -= bytes;
        resolve({ ...result, id });
      };
      this.pendingCalls.set(id, { stream, settle, bytes });
      const message = { tool_call: { ...call, id, arguments: call.arguments || "{}", timeout_ms: timeoutMs } };
      this.bus.send(stream, message, bytes);
    });
  }

  /** Whether `name` is a built-in tool, an MCP server's, or one an agent declared (the dashboard's /metrics). */
  knowsTool(name: string): boolean {
    return this.tools.serves(name) || this.declaringStream(name) !== undefined;
  }

  /** MCP servers started and serving tools (the dashboard's /metrics). */
  mcpServersActive(): number {
    return this.tools.started.size;
  }

  /** Tool calls sent to agents and not yet answered, and the bytes of their arguments. */
  get pendingToolCalls(): { count: number; bytes: number } {
    return { count: this.pendingCalls.size, bytes: this.pendingCallBytes };
  }

  /** A stream ended: the tool calls sent to it fail now rather than at their deadline. */
  private failCallsOf(stream: BusStream): void {
    for (const [id, pending] of this.pendingCalls)
      if (pending.stream === stream) pending.settle(failure(id, new ToolFailure("failed", `agent ${stream.agentId} disconnected before answering`)));
  }

  /**
   * Publishes as agent `from`; a promise when the publisher must wait before its next publish.
   * A `bridge.publish` span continues the context the event carries (a new trace when it carries
   * none; spans.ts); each delivery is a `bridge.forward` span beneath it.
   */
  publish(from: string, topic: string, event: WireEvent): Promise<void> | undefined {
    // As upstream's Bridge: the context is the publisher's to write (the SDKs and `loom pub` do);
    // the Bridge reads it and leaves the event as it is, so its receivers continue the publisher's span.
    const span = this.spans.enabled ? this.spans.start("bridge.publish", contextFrom(event.metadata), { agent_id: from, topic, event_id: event.id }) : undefined;
    // `loom.topic`: the topic it was published on, which a wildcard subscriber's delivery (named by its pattern, as upstream's) does not say.
    const delivered = { ...event, metadata: { ...envelopeMetadata(event, from), "loom.topic": topic } };
    const feeding = this.feed.size > 0;
    const at = Date.now();
    if (feeding) this.tell({ kind: "published", topic, from, event: delivered, at });
    let deliveries = 0;
    const wait = this.bus.publish(
      topic,
      delivered,
      eventBytes(topic, delivered),
      feeding || span
        ? (stream, pattern) => {
            deliveries++;
            if (span) this.spans.instant("bridge.forward", span.ctx, { topic: pattern, agent_id: stream.agentId, event_id: event.id ?? "" });
            if (feeding) this.tell({ kind: "delivered", topic, pattern, to: stream.agentId, event: delivered, at });
          }
        : undefined,
    );
    span?.set("deliveries", deliveries).end();
    return wait;
  }

  private openStream(agentId: string, call: ServerCall): BusStream {
    const sink: Sink = {
      write: (message, done) => call.write(message, done),
      onDrain: (listener) => call.on("drain", listener),
      fail: (_code, message) => call.fail(Status.RESOURCE_EXHAUSTED, message),
    };
    const stream = this.bus.open(agentId, this.agents.attach(agentId), sink);
    this.streamsById.set(agentId, [...(this.streamsById.get(agentId) ?? []), stream]);
    return stream;
  }

  private closeStream(stream: BusStream): void {
    this.bus.close(stream);
    const rest = (this.streamsById.get(stream.agentId) ?? []).filter((s) => s !== stream);
    if (rest.length) this.streamsById.set(stream.agentId, rest);
    else this.streamsById.delete(stream.agentId);
    this.agents.detach(stream.agentId);
    this.failCallsOf(stream);
    if (!rest.length && this.feed.size) this.tell({ kind: "unregistered", agentId: stream.agentId, at: Date.now() });
  }

  private eventStream(call: ServerCall<Record<string, unknown>>): void {
    let stream: BusStream | undefined;
    call.on("data", (message: Record<string, unknown>) => {
      if (!stream) {
        const ack = message.ack as { message_id?: string } | undefined;
        if (message.msg !== "ack") return call.fail(Status.INVALID_ARGUMENT, "first stream message must be Ack carrying agent_id");
        if (this.bus.streams.size >= MAX_STREAMS) return call.fail(Status.RESOURCE_EXHAUSTED, `${MAX_STREAMS} streams are open`);
        stream = this.openStream(ack?.message_id ?? "", call);
        return;
      }
      if (message.msg === "publish") {
        const p = message.publish as { topic: string; event?: WireEvent | null };
        if (!p.event) return; // upstream publishes nothing without an event
        // Topics are keys of maps that outlive the publish (flow, dashboard): bounded in bytes.
        if (Buffer.byteLength(p.topic ?? "") > MAX_TOPIC_BYTES)
          return call.fail(Status.INVALID_ARGUMENT, `topic is ${Buffer.byteLength(p.topic)} bytes, over the ${MAX_TOPIC_BYTES}-byte limit`);
        const wait = this.publish(stream.agentId, p.topic, p.event);
        if (wait) {
          call.pause(); // the publisher waits: its stream is not read until the subscribers drain
          void wait.then(() => call.resume());
        }
      } else if (message.msg === "ping") this.bus.send(stream, { pong: { timestamp_ms: Date.now(), status: "ok" } }, 64);
      else if (message.msg === "tool_result") {
        const result = message.tool_result as WireToolResult;
        const pending = this.pendingCalls.get(result.id);
        // Only a stream of the agent the call went to may answer it.
        if (pending && pending.stream.agentId === stream.agentId) pending.settle(result);
      }
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (stream) this.closeStream(stream);
      try {
        call.end();
      } catch {}
    };
    call.on("end", end);
    call.on("status", end); // failed by the Bridge: its stream is gone now, not when the client leaves
    call.on("cancelled", end);
    call.on("close", end);
  }

  private implementation(): RpcHandlers {
    return {
      RegisterAgent: (call: ServerCall<Record<string, unknown>>, reply: Reply) => {
        const req = call.request as { agent_id: string; subscribed_topics: string[]; tools: ToolInfo[]; metadata?: Record<string, string> };
        if (!req.agent_id) return reply(null, { success: false, error_message: "agent_id cannot be empty" });
        const topics = req.subscribed_topics ?? [];
        const tools = req.tools ?? [];
        const refused = this.agents.register(req.agent_id, topics, tools, registrationBytes(topics, tools, req.metadata));
        this.spans.start("bridge.register", contextFrom(req.metadata), { agent_id: req.agent_id, topics: String(topics.length), tools: String(tools.length) }).end(refused);
        reply(null, { success: !refused, error_message: refused ?? "" });
        if (!refused && this.feed.size) this.tell({ kind: "registered", agentId: req.agent_id, topics, tools: tools.map((t) => t.name), at: Date.now() });
      },
      EventStream: (call: ServerCall<Record<string, unknown>>) => this.eventStream(call),
      ForwardToolCall: (call: ServerCall<WireToolCall>, reply: Reply) => {
        this.forwardToolCall(call.request).then((result) => reply(null, result));
      },
      Heartbeat: (call: ServerCall<{ timestamp_ms?: number }>, reply: Reply) => reply(null, { timestamp_ms: Number(call.request.timestamp_ms) || 0, status: "ok" }),
    };
  }

  /** Registered agents: their topics, declared tools, and whether a stream of theirs is open. */
  topology(): Topology {
    return {
      agents: [...this.agents.byId].map(([id, r]) => ({ id, topics: r.topics, capabilities: r.tools.map((t) => t.name), connected: r.streams > 0, streams: r.streams })),
    };
  }

  /** The gRPC server with loom's services and OpenTelemetry's collector's (otlp-receive.ts) (connections are handed to it by listen.ts). */
  grpcServer(): GrpcServer {
    if (this.server) return this.server;
    const server = new GrpcServer(PARTIAL_MESSAGE_BYTES);
    onRequestBytes((n) => this.pace.moved(n));
    server.addService(loomMethods("Bridge"), this.implementation());
    server.addService(loomMethods("MemoryService"), this.memory.implementation());
    server.addService(healthService(), healthImplementation());
    server.addService(
      ADMIN_SERVICE,
      adminImplementation(() => this.topology()),
    );
    addOtlpServices(server, this.spans);
    this.server = server;
    this.sweeper = setInterval(() => this.agents.sweep(), 10_000);
    this.sweeper.unref?.();
    return server;
  }

  /** Listens as `options` say (listen.ts: owner only); resolves with the bound TCP port. */
  async listen(options: ListenOptions): Promise<number> {
    this.listening = await listenOwnerOnly(this.grpcServer(), options);
    return this.listening.port;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.pace.stop();
    this.listening?.close();
    this.server?.close();
  }
}
