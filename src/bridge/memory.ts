/**
 * loom.v1.MemoryService in memory, as upstream serves it (docs/runtime-contract.md "Bridge
 * protocol"; upstream's agent_memory.rs and memory_handler.rs): plans (last 100 per session),
 * executions (last 1,000), an event log; lost when the Bridge restarts. Its edge cases too:
 * SavePlan and CheckDuplicate without a plan, MarkExecuted without an execution are INTERNAL;
 * AppendEvent without an event is INVALID_ARGUMENT; Retrieve searches every session and returns
 * at least one match even for k = 0; SummarizeEpisode joins the last 10 events.
 * Bounded where upstream is not (limits.ts): a string field over MEMORY_MAX_FIELD_BYTES is
 * INVALID_ARGUMENT, and past MEMORY_MAX_SESSIONS sessions or MEMORY_MAX_BYTES in all the least
 * recently written session is forgotten. Durable where upstream's is not: with the memory store
 * (memory-db.ts), each session written is saved there (scope "memoryservice") within FLUSH_MS and
 * at exit, and read back when the Bridge starts, so `loom restart --runtime` forgets nothing.
 */
import { type RpcHandlers, type ServerCall, Status, type StatusError as WireStatus } from "../net/grpc-server";
import type { WireEvent } from "../protocol/envelope";
import { MEMORY_MAX_BYTES, MEMORY_MAX_FIELD_BYTES, MEMORY_MAX_SESSIONS } from "./limits";
import type { MemoryDb } from "./memory-db";

interface PlanRecord {
  timestamp_ms: number;
  symbol: string;
  action: string;
  plan_hash: string;
  [field: string]: unknown;
}

interface ExecutionRecord {
  timestamp_ms: number;
  plan_hash: string;
  symbol: string;
  status: string;
  [field: string]: unknown;
}

type Request = Record<string, unknown> & { session_id: string };

interface Entry<T> {
  value: T;
  bytes: number;
}

interface Session {
  plans: Entry<PlanRecord>[];
  executions: Entry<ExecutionRecord>[];
  events: Entry<string>[];
  bytes: number;
}

const values = <T>(list: Entry<T>[] | undefined): T[] => (list ?? []).map((e) => e.value);

/** A gRPC error status, as the handler answers it. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Bytes of every string in `value` (nested), near enough to bound memory by; with `limit`, a
 * string over it is INVALID_ARGUMENT naming its field.
 */
function measure(value: unknown, limit = Number.POSITIVE_INFINITY, path = "request"): number {
  if (typeof value === "string") {
    const n = Buffer.byteLength(value);
    if (n > limit) throw new StatusError(Status.INVALID_ARGUMENT, `${path} is ${n} bytes, over the ${limit}-byte limit of the embedded Bridge`);
    return n;
  }
  if (value && typeof value === "object") {
    let n = 16;
    for (const [k, v] of Object.entries(value)) n += k.length + measure(v, limit, `${path}.${k}`);
    return n;
  }
  return 8;
}

const SCOPE = "memoryservice";
const FLUSH_MS = 250;

export class MemoryStore {
  private readonly sessions = new Map<string, Session>();
  /** What the sessions hold, as bounded by MEMORY_MAX_BYTES. */
  private bytes = 0;

  get usedBytes(): number {
    return this.bytes;
  }
  /** Sessions written since the last save, and those forgotten. */
  private readonly dirty = new Set<string>();
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly db?: () => MemoryDb | undefined) {
    for (const { key, value } of db?.()?.scope(SCOPE) ?? []) {
      const saved = value as { plans?: unknown[]; executions?: unknown[]; events?: string[] };
      const entries = <T>(list: T[] | undefined) => (list ?? []).map((v) => ({ value: v, bytes: measure(v) }));
      const session: Session = {
        plans: entries(saved.plans as PlanRecord[]),
        executions: entries(saved.executions as ExecutionRecord[]),
        events: entries(saved.events),
        bytes: key.length + 64,
      };
      for (const list of [session.plans, session.executions, session.events] as Entry<unknown>[][]) for (const e of list) session.bytes += e.bytes;
      this.sessions.set(key, session);
      this.bytes += session.bytes;
    }
  }

  /** Saves what changed to the memory store (at once when asked: the Bridge's exit). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const db = this.db?.();
    if (!db) {
      this.dirty.clear();
      return;
    }
    for (const id of this.dirty) {
      const s = this.sessions.get(id);
      if (!s) db.delete(SCOPE, id);
      else db.set(SCOPE, id, { plans: values(s.plans), executions: values(s.executions), events: values(s.events) });
    }
    this.dirty.clear();
  }

  private changed(id: string): void {
    if (!this.db) return;
    this.dirty.add(id);
    this.timer ??= setTimeout(() => {
      try {
        this.flush();
      } catch {} // a full or broken store: the sessions stay in memory (memory-db.ts said why)
    }, FLUSH_MS);
  }

  private read(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /**
   * Adds `value` to one of session `id`'s lists, keeping its last `cap`; the session becomes the
   * most recently used. One session keeps at most half of MEMORY_MAX_BYTES (its oldest entries go
   * first); past the limits in all, the least recently used sessions are forgotten.
   */
  private add<K extends "plans" | "executions" | "events">(id: string, list: K, value: Session[K][number]["value"], cap: number): void {
    const session = this.sessions.get(id) ?? { plans: [], executions: [], events: [], bytes: id.length + 64 };
    if (!this.sessions.has(id)) this.bytes += session.bytes;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    const entry = { value, bytes: measure(value) };
    (session[list] as Entry<unknown>[]).push(entry);
    this.changed(id);
    session.bytes += entry.bytes;
    this.bytes += entry.bytes;
    const drop = (from: Entry<unknown>[]) => {
      const gone = from.shift()!;
      session.bytes -= gone.bytes;
      this.bytes -= gone.bytes;
    };
    while (session[list].length > cap) drop(session[list] as Entry<unknown>[]);
    while (session.bytes > MEMORY_MAX_BYTES / 2) {
      const longest = [session.events, session.plans, session.executions].reduce((a, b) => (b.length > a.length ? b : a)) as Entry<unknown>[];
      if (longest.length <= 1) break;
      drop(longest);
    }
    for (const [other, s] of this.sessions) {
      if (other === id || (this.sessions.size <= MEMORY_MAX_SESSIONS && this.bytes <= MEMORY_MAX_BYTES)) break;
      this.sessions.delete(other);
      this.bytes -= s.bytes;
      this.changed(other);
    }
  }

  savePlan(req: Request): object {
    const plan = req.plan as PlanRecord | null;
    if (!plan) throw new StatusError(Status.INTERNAL, "Failed to save plan: Agent error: Plan is required");
    this.add(req.session_id, "plans", plan, 100);
    return { success: true, plan_hash: plan.plan_hash, error_message: "" };
  }

  recentPlans(req: Request): object {
    const limit = Math.min(Math.max(Number(req.limit) || 0, 1), 100);
    const matching = values(this.read(req.session_id)?.plans).filter((p) => p.symbol === req.symbol);
    return { plans: matching.slice(-limit), success: true, error_message: "" };
  }

  checkDuplicate(req: Request): object {
    const plan = req.plan as PlanRecord | null;
    if (!plan) throw new StatusError(Status.INTERNAL, "Failed to check duplicate: Agent error: Plan is required");
    const windowMs = (Number(req.time_window_sec) || 0) * 1000;
    const plans = values(this.read(req.session_id)?.plans);
    for (let i = plans.length - 1; i >= 0; i--) {
      const existing = plans[i]!;
      const diff = Number(plan.timestamp_ms) - Number(existing.timestamp_ms);
      if (diff > windowMs) break;
      if (existing.symbol === plan.symbol && existing.action === plan.action && existing.plan_hash === plan.plan_hash)
        return { is_duplicate: true, duplicate_plan: existing, time_since_duplicate_ms: diff };
    }
    return { is_duplicate: false, duplicate_plan: null, time_since_duplicate_ms: 0 };
  }

  markExecuted(req: Request): object {
    const execution = req.execution as ExecutionRecord | null;
    if (!execution) throw new StatusError(Status.INTERNAL, "Failed to mark executed: Agent error: Execution record is required");
    this.add(req.session_id, "executions", execution, 1000);
    return { success: true, error_message: "" };
  }

  checkExecuted(req: Request): object {
    const execution = values(this.read(req.session_id)?.executions).findLast((r) => r.plan_hash === req.plan_hash);
    return { is_executed: Boolean(execution), execution: execution ?? null };
  }

  executionStats(req: Request): object {
    const all = values(this.read(req.session_id)?.executions).filter((r) => r.symbol === req.symbol);
    const ok = all.filter((r) => r.status === "success").length;
    return {
      total_executions: all.length,
      successful_executions: ok,
      failed_executions: all.filter((r) => r.status === "error").length,
      win_rate: all.length ? ok / all.length : 0,
      duplicate_prevented: all.filter((r) => r.status === "skipped").length,
      recent_executions: all.slice(-10).reverse(),
    };
  }

  appendEvent(req: Request): object {
    const event = req.event as WireEvent | null;
    if (!event) throw new StatusError(Status.INVALID_ARGUMENT, "Event is required");
    this.add(req.session_id, "events", `[${event.timestamp_ms ?? 0}] ${event.type ?? ""} from ${event.source ?? ""}`, Number.MAX_SAFE_INTEGER);
    return { success: true, error_message: "" };
  }

  retrieve(req: Request): object {
    const query = String(req.query ?? "");
    const k = Math.max(Number(req.k) || 0, 0);
    const results: string[] = [];
    for (const session of this.sessions.values())
      for (const { value: line } of session.events)
        if (line.includes(query)) {
          results.push(line);
          if (results.length >= k) return { results, success: true, error_message: "" };
        }
    return { results, success: true, error_message: "" };
  }

  summarize(req: Request): object {
    const lines = values(this.read(req.session_id)?.events).slice(-10);
    return { summary: lines.join("\n"), event_count: Number(req.max_events) || 0, success: true, error_message: "" };
  }

  /** The handlers of loom.v1.MemoryService (net/grpc-server.ts). */
  implementation(): RpcHandlers {
    const unary = (handler: (req: Request) => object) => (call: ServerCall<Request>, reply: (error: WireStatus | null, value?: unknown) => void) => {
      try {
        measure(call.request, MEMORY_MAX_FIELD_BYTES);
        reply(null, handler(call.request));
      } catch (e) {
        const error = e instanceof StatusError ? e : new StatusError(Status.INTERNAL, (e as Error).message);
        reply({ code: error.code, details: error.message });
      }
    };
    return {
      SavePlan: unary((r) => this.savePlan(r)),
      GetRecentPlans: unary((r) => this.recentPlans(r)),
      CheckDuplicate: unary((r) => this.checkDuplicate(r)),
      MarkExecuted: unary((r) => this.markExecuted(r)),
      CheckExecuted: unary((r) => this.checkExecuted(r)),
      GetExecutionStats: unary((r) => this.executionStats(r)),
      AppendEvent: unary((r) => this.appendEvent(r)),
      Retrieve: unary((r) => this.retrieve(r)),
      SummarizeEpisode: unary((r) => this.summarize(r)),
    };
  }
}
