/**
 * The TypeScript SDK's Agent and its Context, with the concepts of upstream's Python SDK so that an
 * agent ports line by line: an id, topics and an event handler; `emit`, `request` (the reply comes
 * back on `agent.<id>.replies` with the request's correlation id), `reply`; `tool` through
 * ForwardToolCall; tools the agent declares and answers; MemoryService calls. docs/sdk.md.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { ActiveSpan } from "../telemetry/spans";
import { contextFrom, contextMetadata, newTraceContext, type TraceContext } from "../telemetry/trace-context";
import { Connection, type ServerMessage } from "./connection";
import { Envelope, type Payload } from "./envelope";
import { type Memory, memoryApi } from "./memory";
import { SdkSpans } from "./telemetry";

export type EventHandler = (ctx: Context, topic: string, event: Envelope) => void | Promise<void>;

export interface ToolSpec<A = Record<string, unknown>> {
  name: string;
  description?: string;
  /** JSON Schema of the arguments, as other agents and the dashboard see it. */
  parameters?: object;
  handler(args: A, ctx: Context): unknown;
}

/** Declares a tool the agent answers (ForwardToolCall by another agent reaches it). */
export function tool<A = Record<string, unknown>>(spec: ToolSpec<A>): ToolSpec<A> {
  return spec;
}

export interface AgentOptions {
  id: string;
  topics?: string[];
  tools?: ToolSpec<never>[];
  onEvent?: EventHandler;
  /** The Bridge: LOOM_BRIDGE_ADDR (what loom gives its agents), else 127.0.0.1:50051. */
  address?: string;
  /** Where the SDK says what happens to its connection (stderr by default). */
  log?: (line: string) => void;
}

export interface EmitOptions {
  type: string;
  payload?: Payload;
  metadata?: Record<string, string>;
}

export class ToolCallError extends Error {
  constructor(
    readonly tool: string,
    readonly status: string,
    readonly code: string,
    message: string,
  ) {
    super(`${tool}: ${status}${code ? ` (${code})` : ""}: ${message}`);
  }
}

/** How an error answers a request (Context.replyError); loom pub --reply reads the same key. */
export const ERROR_TYPE = "loom.error";
export const ERROR_KEY = "loom.error";

/** The trace context of the event or tool call being handled, so that what a handler sends continues it. */
const handling = new AsyncLocalStorage<TraceContext | undefined>();

export class Context {
  readonly replyTopic: string;
  private readonly pending = new Map<string, (e: Envelope) => void>();

  /**
   * The memory store, typed (memory.ts: append, history, search, get, set, delete over the memory:*
   * tools); called as a function, a MemoryService call with loom.proto's field names.
   */
  readonly memory: Memory;

  /** @internal The Agent makes its context. */
  constructor(
    readonly agentId: string,
    private readonly connection: () => Connection,
  ) {
    this.replyTopic = `agent.${agentId}.replies`;
    this.memory = memoryApi(
      agentId,
      (name, args) => this.tool(name, args),
      (method, request) => this.connection().call(method, { session_id: this.agentId, ...request }, 10_000, "memory"),
    );
  }

  /** Publishes an event of `type` on `topic`; resolves once it is on its way (or queued while the Bridge is away). */
  emit(topic: string, options: EmitOptions): Promise<void> {
    return this.publish(topic, Envelope.create(options.type, options.payload, { sender: this.agentId }, options.metadata));
  }

  /** Publishes a request and resolves with the first event that answers it (`reply` by the receiver). */
  async request(topic: string, options: EmitOptions & { timeoutMs?: number }): Promise<Envelope> {
    const id = crypto.randomUUID();
    const envelope = Envelope.create(options.type, options.payload, { sender: this.agentId, correlationId: id, replyTo: this.replyTopic }, options.metadata);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<Envelope>((resolve, reject) => {
      timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${options.type} on ${topic} within ${options.timeoutMs ?? 5_000} ms`));
      }, options.timeoutMs ?? 5_000);
      this.pending.set(id, (e) => {
        clearTimeout(timer);
        this.pending.delete(id);
        const error = e.metadata[ERROR_KEY];
        if (error !== undefined) reject(new Error(`${e.sender ?? "the receiver"} failed to handle ${options.type} on ${topic}: ${error}`));
        else resolve(e);
      });
    });
    try {
      await this.publish(topic, envelope);
    } catch (e) {
      clearTimeout(timer); // not sent: nothing will answer it
      this.pending.delete(id);
      throw e;
    }
    return answered;
  }

  /** Answers `original` on its reply topic, with its correlation and thread. */
  reply(original: Envelope, options: EmitOptions): Promise<void> {
    const topic = original.replyTo ?? `agent.${original.sender}.replies`;
    const fields = { sender: this.agentId, correlationId: original.correlationId ?? original.id, threadId: original.threadId };
    return this.publish(topic, Envelope.create(options.type, options.payload, fields, options.metadata));
  }

  /**
   * Answers `original` with an error (`loom.error` in the metadata, `{"error": message}` as the
   * payload, type `loom.error`): what the SDK sends when a handler throws on a request. A
   * requester's `ctx.request()` rejects with it, `loom pub --reply` prints it and exits 5.
   */
  replyError(original: Envelope, message: string): Promise<void> {
    const text = message.slice(0, 4096);
    return this.reply(original, { type: ERROR_TYPE, payload: { error: text }, metadata: { [ERROR_KEY]: text } });
  }

  /** Calls a tool through the Bridge; resolves with its output (parsed when it is JSON). */
  async tool(name: string, args: object = {}, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const id = crypto.randomUUID();
    const ctx = handling.getStore();
    const headers = { "x-agent-id": this.agentId, "x-correlation-id": id, ...(ctx ? contextMetadata(ctx) : {}) };
    const call = { id, name, arguments: JSON.stringify(args), headers, timeout_ms: timeoutMs, correlation_id: id };
    const result = (await this.connection().call("ForwardToolCall", call, timeoutMs + 5_000)) as {
      status: string;
      output: string;
      error?: { code?: string; message?: string } | null;
    };
    if (result.status !== "TOOL_OK") throw new ToolCallError(name, result.status, result.error?.code ?? "", result.error?.message ?? "no message");
    try {
      return JSON.parse(result.output);
    } catch {
      return result.output;
    }
  }

  private publish(topic: string, envelope: Envelope): Promise<void> {
    const event = envelope.toWire();
    // Inside a handler, what it publishes continues the trace of what it handles; outside one, it
    // starts a trace of its own. A context the author gave wins.
    if (!contextFrom(event.metadata)) event.metadata = { ...event.metadata, ...contextMetadata(handling.getStore() ?? newTraceContext()) };
    return this.connection().send({ publish: { topic, event } });
  }

  /** @internal A delivery: the answer to a pending request, if it is one. */
  settle(envelope: Envelope): void {
    const id = envelope.correlationId;
    if (id) this.pending.get(id)?.(envelope);
  }
}

export class Agent {
  readonly ctx: Context;
  private connection?: Connection;
  private spans?: SdkSpans;
  private readonly log: (line: string) => void;

  constructor(readonly options: AgentOptions) {
    if (!options.id) throw new Error("an agent needs an id");
    this.log = options.log ?? ((line) => console.error(`[loom:sdk ${options.id}] ${line}`));
    this.ctx = new Context(options.id, () => {
      if (!this.connection) throw new Error(`agent ${options.id} is not started: call start() or run() first`);
      return this.connection;
    });
  }

  get id(): string {
    return this.options.id;
  }

  /** Whether the agent is connected to the Bridge now (false while it reconnects, or before start). */
  get connected(): boolean {
    return this.connection?.connected ?? false;
  }

  /** Registers with the Bridge and opens the event stream. */
  async start(): Promise<void> {
    const topics = [...new Set([...(this.options.topics ?? []), this.ctx.replyTopic])];
    const tools = (this.options.tools ?? []).map((t) => ({
      name: t.name,
      description: t.description ?? "",
      parameters_schema: JSON.stringify(t.parameters ?? { type: "object" }),
    }));
    const address = this.options.address ?? process.env.LOOM_BRIDGE_ADDR ?? "127.0.0.1:50051";
    const registration = { agent_id: this.id, subscribed_topics: topics, tools, metadata: { sdk: "loom-typescript" } };
    if (SdkSpans.wanted()) this.spans ??= new SdkSpans(address, process.env.OTEL_SERVICE_NAME || `agent-${this.id}`, this.log);
    this.connection = new Connection(address, registration, (m) => void this.dispatch(m), this.log);
    await this.connection.start();
  }

  /** Starts, then runs until SIGINT or SIGTERM, then stops. */
  async run(): Promise<void> {
    await this.start();
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await this.stop();
  }

  async stop(): Promise<void> {
    await this.connection?.stop();
    await this.spans?.close();
    this.spans = undefined;
  }

  /**
   * Runs `work` inside a span of the SDK's (none when telemetry is off), continuing `parent`; the
   * span is an error when `work` throws or `failure` finds one in its result.
   */
  private async traced<T>(
    name: string,
    parent: TraceContext | undefined,
    attributes: Record<string, string | undefined>,
    work: () => T | Promise<T>,
    failure?: (result: T) => string | undefined,
  ): Promise<T> {
    const span = this.spans ? new ActiveSpan(this.spans, name, parent, {}) : undefined;
    for (const [key, value] of Object.entries(attributes)) span?.set(key, value);
    try {
      const result = await handling.run(span?.ctx ?? parent, work);
      span?.end(failure?.(result));
      return result;
    } catch (e) {
      span?.end((e as Error).message ?? String(e));
      throw e;
    }
  }

  private async dispatch(message: ServerMessage): Promise<void> {
    if (message.msg === "delivery") {
      const delivery = message.delivery!;
      const envelope = Envelope.fromWire(delivery.event ?? {});
      this.ctx.settle(envelope);
      const onEvent = this.options.onEvent;
      if (!onEvent) return;
      const attributes = {
        "agent.id": this.id,
        "event.id": envelope.id,
        "event.type": envelope.type,
        topic: delivery.topic,
        thread_id: envelope.threadId ?? "",
        correlation_id: envelope.correlationId ?? "",
      };
      try {
        await this.traced("agent.on_event", contextFrom(delivery.event?.metadata), attributes, () => onEvent(this.ctx, delivery.topic, envelope));
      } catch (e) {
        // A request whose handler failed is answered at once with the error, not left to time out.
        // Only a request (its sender wrote `loom.reply_to` and `loom.correlation_id`, as ctx.request and `loom pub --reply` do):
        // the Bridge gives every event a default reply_to, and a plain emit's sender expects no answer.
        if (envelope.metadata["loom.reply_to"] && envelope.metadata["loom.correlation_id"]) await this.ctx.replyError(envelope, (e as Error).message ?? String(e)).catch(() => {});
        this.log(`onEvent failed for ${envelope.type} on ${delivery.topic}: ${(e as Error).stack ?? e}`);
      }
    } else if (message.msg === "tool_call") {
      const call = message.tool_call!;
      await this.answer(call, contextFrom(call.headers));
    } else if (message.msg === "err") this.log(`the Bridge says: ${JSON.stringify(message.err)}`);
  }

  /** Runs a declared tool for a ForwardToolCall that the Bridge sent here, and sends its result. */
  private async answer(call: { id: string; name: string; arguments: string }, parent: TraceContext | undefined): Promise<void> {
    const attributes = { "agent.id": this.id, "tool.name": call.name };
    const result = await this.traced(
      "agent.tool_call",
      parent,
      attributes,
      () => this.runTool(call),
      (r) => (r.status === "TOOL_OK" ? undefined : (r.error as { message: string }).message),
    );
    const reply = { tool_result: { id: call.id, ...result } };
    await this.connection?.send(reply).catch((e) => this.log(`could not answer tool ${call.name}: ${(e as Error).message}`));
  }

  private async runTool(call: { name: string; arguments: string }): Promise<Record<string, unknown>> {
    const failed = (status: string, code: string, message: string) => ({ status, output: "", error: { code, message, details: {} } });
    const declared = this.options.tools?.find((t) => t.name === call.name);
    if (!declared) return failed("TOOL_NOT_FOUND", "NOT_FOUND", `Tool not found: ${call.name}`);
    let args: unknown;
    try {
      args = call.arguments ? JSON.parse(call.arguments) : {};
    } catch (e) {
      return failed("TOOL_INVALID_ARGUMENTS", "INVALID_ARGUMENTS", (e as Error).message);
    }
    // The Bridge checks the declared schema too (loom's); a native one does not.
    // The JSON Schema validator loads with the first call of a tool that declares parameters.
    const refused = declared.parameters ? (await import("../protocol/tool-arguments")).refuseArguments(JSON.stringify(declared.parameters), args) : undefined;
    if (refused) return failed("TOOL_INVALID_ARGUMENTS", "INVALID_ARGUMENTS", `Invalid arguments: ${refused}`);
    try {
      return { status: "TOOL_OK", output: JSON.stringify((await declared.handler(args as never, this.ctx)) ?? null), error: null };
    } catch (e) {
      return failed("TOOL_ERROR", "EXECUTION_ERROR", (e as Error).message);
    }
  }
}
