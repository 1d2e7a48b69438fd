/**
 * loom.v1.MemoryService in memory, as upstream serves it (docs/runtime-contract.md "Bridge
 * protocol"): plans and executions per session, an event log per session; everything is lost when
 * the Bridge restarts. Limits as upstream: 100 plans, 1,000 executions and 500 events per session.
 */
import type * as grpc from "@grpc/grpc-js";
import type { WireEvent } from "./server";

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

function pushCapped<T>(map: Map<string, T[]>, key: string, value: T, cap: number): void {
  const list = map.get(key) ?? [];
  list.push(value);
  if (list.length > cap) list.splice(0, list.length - cap);
  map.set(key, list);
}

export class MemoryStore {
  private readonly plans = new Map<string, PlanRecord[]>();
  private readonly executions = new Map<string, ExecutionRecord[]>();
  private readonly events = new Map<string, string[]>();

  savePlan(req: Request): object {
    const plan = req.plan as PlanRecord | null;
    if (!plan) return { success: false, plan_hash: "", error_message: "Plan is required" };
    pushCapped(this.plans, req.session_id, plan, 100);
    return { success: true, plan_hash: plan.plan_hash, error_message: "" };
  }

  recentPlans(req: Request): object {
    const limit = Math.min(Math.max(Number(req.limit) || 1, 1), 100);
    const plans = (this.plans.get(req.session_id) ?? [])
      .filter((p) => p.symbol === req.symbol)
      .reverse()
      .slice(0, limit);
    return { plans, success: true, error_message: "" };
  }

  checkDuplicate(req: Request): object {
    const plan = req.plan as PlanRecord | null;
    const windowMs = Math.max(Number(req.time_window_sec) || 0, 60) * 1000;
    const at = plan ? Number(plan.timestamp_ms) : Date.now();
    const duplicate =
      plan && (this.plans.get(req.session_id) ?? []).find((p) => p.symbol === plan.symbol && p.action === plan.action && Math.abs(at - Number(p.timestamp_ms)) < windowMs);
    return { is_duplicate: Boolean(duplicate), duplicate_plan: duplicate || null, time_since_duplicate_ms: duplicate ? Math.abs(at - Number(duplicate.timestamp_ms)) : 0 };
  }

  markExecuted(req: Request): object {
    const record = (req.execution as ExecutionRecord | null) ?? { timestamp_ms: Date.now(), plan_hash: String(req.plan_hash), symbol: "", status: "executed", executed: true };
    pushCapped(this.executions, req.session_id, record, 1000);
    return { success: true, error_message: "" };
  }

  checkExecuted(req: Request): object {
    const execution = (this.executions.get(req.session_id) ?? []).find((r) => r.plan_hash === req.plan_hash);
    return { is_executed: Boolean(execution), execution: execution ?? null };
  }

  executionStats(req: Request): object {
    const all = (this.executions.get(req.session_id) ?? []).filter((r) => !req.symbol || r.symbol === req.symbol);
    const ok = all.filter((r) => r.status === "success").length;
    return {
      total_executions: all.length,
      successful_executions: ok,
      failed_executions: all.filter((r) => r.status === "error").length,
      win_rate: all.length ? ok / all.length : 0,
      duplicate_prevented: 0,
      recent_executions: all.slice(-10).reverse(),
    };
  }

  appendEvent(req: Request): object {
    const event = (req.event as WireEvent | null) ?? {};
    pushCapped(this.events, req.session_id, `[${event.timestamp_ms ?? 0}] ${event.type ?? ""} from ${event.source ?? ""}`, 500);
    return { success: true, error_message: "" };
  }

  retrieve(req: Request): object {
    const query = String(req.query ?? "").toLowerCase();
    const k = Math.max(Number(req.k) || 0, 0);
    const results: string[] = [];
    for (const lines of this.events.values()) {
      for (const line of lines) if (results.length < k && line.toLowerCase().includes(query)) results.push(line);
    }
    return { results, success: true, error_message: "" };
  }

  summarize(req: Request): object {
    const lines = (this.events.get(req.session_id) ?? []).slice(0, 50);
    return { summary: lines.join("\n"), event_count: lines.length, success: true, error_message: "" };
  }

  /** The grpc-js implementation of loom.v1.MemoryService. */
  implementation(): grpc.UntypedServiceImplementation {
    const unary = (handler: (req: Request) => object) => (call: grpc.ServerUnaryCall<Request, unknown>, reply: grpc.sendUnaryData<unknown>) => reply(null, handler(call.request));
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
