/**
 * memory:* — the memory store (bridge/memory-db.ts) as built-in tools, one contract for every
 * language (docs/memory.md): upstream's Python SDK calls them with `ctx.tool`, `loom call` from a
 * shell, the TypeScript SDK through its typed `ctx.memory`. JSON in, JSON out; errors as the other
 * tools': bad arguments INVALID_ARGUMENTS, a compare-and-set that lost EXECUTION_ERROR naming the
 * current version. Key-value state lives per thread (`thread`), per agent (`agent`), or globally.
 * When the store cannot be opened (damaged, another user's), each call says so and why.
 */
import type { MemoryDb } from "../memory-db";
import { type Tool, ToolFailure } from "./tool-registry";
import { defineTool, z } from "./schema";

const name = (what: string, max = 256) => z.string().min(1, `'${what}' must not be empty`).max(max).describe(what);
const limit = (fallback: number) => z.number().int().min(1).max(1_000).default(fallback).describe("how many, at most");
const jsonValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);
/** One entry's content, or one value, at most this long as JSON: the store is bounded, and so is a call. */
const MAX_CONTENT_CHARS = 1024 * 1024;

const scopeArgs = {
  key: name("key", 1_024),
  thread: name("thread").optional().describe("the conversation the key belongs to"),
  agent: name("agent").optional().describe("the agent the key belongs to (when no thread)"),
};
const scopeOf = (a: { thread?: string; agent?: string }) => (a.thread !== undefined ? `thread:${a.thread}` : a.agent !== undefined ? `agent:${a.agent}` : "global");

function sized(value: unknown, what: string): void {
  const n = (typeof value === "string" ? value : JSON.stringify(value ?? null)).length;
  if (n > MAX_CONTENT_CHARS) throw new ToolFailure("invalid", `'${what}' is ${n} characters; at most ${MAX_CONTENT_CHARS}`);
}

export function memoryTools(store: () => MemoryDb): Tool[] {
  return [
    defineTool({
      name: "memory:append",
      description: "Append an entry to a conversation's history: its role, its content (text or JSON), optionally the agent. Durable across restarts.",
      args: z.object({ thread: name("thread"), role: name("role", 64), content: jsonValue.describe("text, or any JSON"), agent: name("agent").optional() }),
      async call(a) {
        sized(a.content, "content");
        const e = store().append(a.thread, a.role, a.content, a.agent);
        return { id: e.id, thread: e.thread, at: e.at };
      },
    }),
    defineTool({
      name: "memory:history",
      description: "A conversation's latest entries, oldest first (before entry `before` when given).",
      args: z.object({ thread: name("thread"), limit: limit(50), before: z.number().int().positive().optional().describe("an entry's id: only entries before it") }),
      async call(a) {
        return { thread: a.thread, entries: store().history(a.thread, a.limit, a.before) };
      },
    }),
    defineTool({
      name: "memory:search",
      description: "Full-text search of the entries (every word, accents folded, best first), in one thread or in all.",
      args: z.object({ query: name("query", 1_000), thread: name("thread").optional(), limit: limit(10) }),
      async call(a) {
        return { results: store().search(a.query, a.limit, a.thread) };
      },
    }),
    defineTool({
      name: "memory:set",
      description: "Set a key's value (any JSON) for a thread, an agent or globally; with if_version, only when its version is that (0: only when absent).",
      args: z.object({
        ...scopeArgs,
        value: jsonValue.describe("any JSON"),
        if_version: z.number().int().min(0).optional().describe("set only when the key is at this version (0: only when it is not set)"),
      }),
      async call(a) {
        sized(a.value, "value");
        const done = store().set(scopeOf(a), a.key, a.value, a.if_version);
        if ("conflict" in done) throw new ToolFailure("failed", `if_version ${a.if_version} does not match: ${a.key} is at version ${done.conflict}`);
        return { key: a.key, version: done.version };
      },
    }),
    defineTool({
      name: "memory:get",
      description: "A key's value and version (version 0 and value null when it is not set).",
      args: z.object(scopeArgs),
      async call(a) {
        const got = store().get(scopeOf(a), a.key);
        return { key: a.key, value: got?.value ?? null, version: got?.version ?? 0, found: got !== undefined };
      },
    }),
    defineTool({
      name: "memory:delete",
      description: "Delete a key.",
      args: z.object(scopeArgs),
      async call(a) {
        return { key: a.key, deleted: store().delete(scopeOf(a), a.key) };
      },
    }),
  ];
}
