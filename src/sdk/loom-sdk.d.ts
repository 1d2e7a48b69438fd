// Types of `loom:sdk`, the TypeScript SDK that loom gives the agents it runs (docs/sdk.md).
// `loom init` writes this file into a project so that editors and `tsc` know the module.
declare module "loom:sdk" {
  /** A payload: bytes as they are, a string as UTF-8, anything else as JSON. */
  export type Payload = Uint8Array | string | number | boolean | null | object;

  /** An event, with the envelope fields upstream's SDKs keep in its metadata. */
  export class Envelope {
    readonly id: string;
    readonly type: string;
    readonly payload: Uint8Array;
    readonly metadata: Record<string, string>;
    readonly timestampMs: number;
    readonly source: string;
    readonly tags: string[];
    readonly priority: number;
    readonly threadId: string | undefined;
    readonly correlationId: string | undefined;
    readonly sender: string | undefined;
    readonly replyTo: string | undefined;
    /** The payload as UTF-8 text. */
    text(): string;
    /** The payload parsed as JSON; throws when it is not JSON. */
    json<T = unknown>(): T;
  }

  export interface EmitOptions {
    type: string;
    payload?: Payload;
    metadata?: Record<string, string>;
  }

  /** The agent's handle on the Bridge, passed to every handler. */
  export class Context {
    readonly agentId: string;
    /** `agent.<id>.replies`: where answers to this agent's requests arrive. */
    readonly replyTopic: string;
    /** Publishes an event of `type` on `topic`. */
    emit(topic: string, options: EmitOptions): Promise<void>;
    /** Publishes a request and resolves with the first event that answers it; rejects when the answer is an error (its handler threw). */
    request(topic: string, options: EmitOptions & { timeoutMs?: number }): Promise<Envelope>;
    /** Answers `original` on its reply topic, with its correlation and thread. */
    reply(original: Envelope, options: EmitOptions): Promise<void>;
    /** Answers `original` with an error (what the SDK sends when a handler throws on a request). */
    replyError(original: Envelope, message: string): Promise<void>;
    /** Calls a tool through the Bridge; resolves with its output (parsed when it is JSON). */
    tool(name: string, args?: object, options?: { timeoutMs?: number }): Promise<unknown>;
    /** The memory store (docs/memory.md): append, history, search, get, set, delete; called as a function, a MemoryService call. */
    readonly memory: Memory;
  }

  export interface MemoryEntry<T = unknown> {
    id: number;
    thread: string;
    role: string;
    /** As appended: text, or the JSON value. */
    content: T;
    agent: string | null;
    /** Unix milliseconds. */
    at: number;
  }

  /** Where a key lives: the agent's own by default, a thread's, or the project's (`global`). */
  export interface StateScope {
    thread?: string;
    global?: boolean;
  }

  export interface Memory {
    /** A MemoryService call (`AppendEvent`, `Retrieve`, `SavePlan`, ...), with loom.proto's field names. */
    (method: string, request: Record<string, unknown>): Promise<Record<string, unknown>>;
    /** Appends an entry to a conversation's history (the agent defaults to this one). */
    append(entry: { thread: string; role: string; content: unknown; agent?: string }): Promise<{ id: number; thread: string; at: number }>;
    /** The conversation's latest entries, oldest first. */
    history<T = unknown>(thread: string, options?: { limit?: number; before?: number }): Promise<MemoryEntry<T>[]>;
    /** Entries matching every word of `query` (accents folded), best first. */
    search<T = unknown>(query: string, options?: { thread?: string; limit?: number }): Promise<(MemoryEntry<T> & { snippet?: string })[]>;
    /** A key's value and version (version 0, value null when not set). */
    get<T = unknown>(key: string, scope?: StateScope): Promise<{ value: T | null; version: number; found: boolean }>;
    /** Sets a key; with `ifVersion`, only when it is at that version (0: only when absent), else it throws a ToolCallError. */
    set(key: string, value: unknown, options?: StateScope & { ifVersion?: number }): Promise<{ version: number }>;
    /** Deletes a key; resolves with whether it was there. */
    delete(key: string, scope?: StateScope): Promise<boolean>;
  }

  export type EventHandler = (ctx: Context, topic: string, event: Envelope) => void | Promise<void>;

  export interface ToolSpec<A = Record<string, unknown>> {
    name: string;
    description?: string;
    /** JSON Schema of the arguments. */
    parameters?: object;
    handler(args: A, ctx: Context): unknown;
  }

  /** Declares a tool the agent answers when another agent calls it through the Bridge. */
  export function tool<A = Record<string, unknown>>(spec: ToolSpec<A>): ToolSpec<A>;

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

  export class Agent {
    constructor(options: AgentOptions);
    readonly id: string;
    readonly ctx: Context;
    /** Whether the agent is connected to the Bridge now (false while it reconnects, or before start). */
    readonly connected: boolean;
    /** Registers with the Bridge and opens the event stream. */
    start(): Promise<void>;
    /** Starts, then runs until SIGINT or SIGTERM, then stops. */
    run(): Promise<void>;
    stop(): Promise<void>;
  }

  /** A tool call that did not answer TOOL_OK. */
  export class ToolCallError extends Error {
    readonly tool: string;
    readonly status: string;
    readonly code: string;
  }
}
