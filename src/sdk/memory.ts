/**
 * `ctx.memory`: the memory store (docs/memory.md) typed for TypeScript agents, over the same
 * memory:* tools every language calls, in camelCase like the rest of `loom:sdk`. Still callable as
 * before, `ctx.memory("AppendEvent", {...})`, for upstream's MemoryService. Key-value state is the
 * agent's own by default, a thread's with `{ thread }`, the project's with `{ global: true }`.
 */
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

export interface StateScope {
  /** The conversation the key belongs to. */
  thread?: string;
  /** The project's, not the agent's. */
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

type Tool = (name: string, args: object) => Promise<unknown>;
type Service = (method: string, request: Record<string, unknown>) => Promise<Record<string, unknown>>;

export function memoryApi(agentId: string, tool: Tool, service: Service): Memory {
  const scope = (s: StateScope = {}) => (s.thread !== undefined ? { thread: s.thread } : s.global ? {} : { agent: agentId });
  const api = {
    append: (e: { thread: string; role: string; content: unknown; agent?: string }) =>
      tool("memory:append", { ...e, agent: e.agent ?? agentId }) as Promise<{ id: number; thread: string; at: number }>,
    history: async (thread: string, o: { limit?: number; before?: number } = {}) => ((await tool("memory:history", { thread, ...o })) as { entries: MemoryEntry[] }).entries,
    search: async (query: string, o: { thread?: string; limit?: number } = {}) => ((await tool("memory:search", { query, ...o })) as { results: MemoryEntry[] }).results,
    get: (key: string, s?: StateScope) => tool("memory:get", { key, ...scope(s) }),
    set: async (key: string, value: unknown, o: StateScope & { ifVersion?: number } = {}) =>
      (await tool("memory:set", { key, value, ...scope(o), ...(o.ifVersion !== undefined ? { if_version: o.ifVersion } : {}) })) as { version: number },
    delete: async (key: string, s?: StateScope) => ((await tool("memory:delete", { key, ...scope(s) })) as { deleted: boolean }).deleted,
  };
  return Object.assign((method: string, request: Record<string, unknown>) => service(method, request), api) as Memory;
}
