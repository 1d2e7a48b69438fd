import { describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { MEMORY_MAX_BYTES, MEMORY_MAX_FIELD_BYTES, MEMORY_MAX_SESSIONS } from "../../src/bridge/limits";
import { MemoryStore, StatusError } from "../../src/bridge/memory";

const plan = (ts: number, extra: Record<string, unknown> = {}) => ({ timestamp_ms: ts, symbol: "BTC", action: "BUY", plan_hash: "h", ...extra });

function statusOf(fn: () => unknown): [grpc.status, string] | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return [e.code, e.message];
    throw e;
  }
  return undefined;
}

describe("MemoryService, as upstream's", () => {
  test("edge cases: no plan and no execution are INTERNAL, no event INVALID_ARGUMENT; Retrieve with k = 0 gives one", () => {
    const m = new MemoryStore();
    expect(statusOf(() => m.savePlan({ session_id: "s", plan: null }))).toEqual([grpc.status.INTERNAL, "Failed to save plan: Agent error: Plan is required"]);
    expect(statusOf(() => m.checkDuplicate({ session_id: "s", plan: null }))?.[0]).toBe(grpc.status.INTERNAL);
    expect(statusOf(() => m.markExecuted({ session_id: "s", plan_hash: "h", execution: null }))?.[0]).toBe(grpc.status.INTERNAL);
    expect(statusOf(() => m.appendEvent({ session_id: "s", event: null }))).toEqual([grpc.status.INVALID_ARGUMENT, "Event is required"]);
    m.appendEvent({ session_id: "a", event: { timestamp_ms: 1, type: "tick", source: "x" } });
    m.appendEvent({ session_id: "b", event: { timestamp_ms: 2, type: "tick", source: "y" } });
    expect(m.retrieve({ session_id: "", query: "tick", k: 0 })).toMatchObject({ results: ["[1] tick from x"] });
    expect(m.retrieve({ session_id: "", query: "tick", k: 5 })).toMatchObject({ results: ["[1] tick from x", "[2] tick from y"] }); // every session
    expect(m.retrieve({ session_id: "", query: "TICK", k: 5 })).toMatchObject({ results: [] }); // case matters
  });

  test("plans: the last `limit` in order, duplicates by symbol, action and hash within the window", () => {
    const m = new MemoryStore();
    for (let i = 0; i < 105; i++) m.savePlan({ session_id: "s", plan: plan(i * 1000, { plan_hash: `h${i}` }) });
    const recent = m.recentPlans({ session_id: "s", symbol: "BTC", limit: 3 }) as { plans: { plan_hash: string }[] };
    expect(recent.plans.map((p) => p.plan_hash)).toEqual(["h102", "h103", "h104"]);
    expect((m.recentPlans({ session_id: "s", symbol: "BTC", limit: 0 }) as { plans: unknown[] }).plans).toHaveLength(1);
    expect((m.recentPlans({ session_id: "s", symbol: "BTC", limit: 500 }) as { plans: unknown[] }).plans).toHaveLength(100);
    expect(m.checkDuplicate({ session_id: "s", plan: plan(104_500, { plan_hash: "h104" }), time_window_sec: 1 })).toMatchObject({
      is_duplicate: true,
      time_since_duplicate_ms: 500,
    });
    expect(m.checkDuplicate({ session_id: "s", plan: plan(110_000, { plan_hash: "h104" }), time_window_sec: 1 })).toMatchObject({ is_duplicate: false });
  });

  test("a field over the limit is INVALID_ARGUMENT; sessions and bytes are bounded, the least recently written goes", () => {
    const m = new MemoryStore();
    const huge = "x".repeat(MEMORY_MAX_FIELD_BYTES + 1);
    const replies: [grpc.ServiceError | null, unknown][] = [];
    m.implementation().AppendEvent!({ request: { session_id: "s", event: { type: huge } } } as never, ((e: grpc.ServiceError | null, r: unknown) => replies.push([e, r])) as never);
    expect(replies[0]![0]).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("request.event.type is") });
    for (let i = 0; i < MEMORY_MAX_SESSIONS + 10; i++) m.appendEvent({ session_id: `s${i}`, event: { type: "t" } });
    expect(m.summarize({ session_id: "s0" })).toMatchObject({ summary: "" });
    expect(m.summarize({ session_id: `s${MEMORY_MAX_SESSIONS + 9}` })).toMatchObject({ summary: "[0] t from " });
    const big = "y".repeat(MEMORY_MAX_FIELD_BYTES);
    for (let i = 0; i < (MEMORY_MAX_BYTES / MEMORY_MAX_FIELD_BYTES) * 2; i++) m.appendEvent({ session_id: "one", event: { type: big } });
    expect(m.usedBytes).toBeLessThanOrEqual(MEMORY_MAX_BYTES + MEMORY_MAX_FIELD_BYTES * 2);
    expect((m.summarize({ session_id: "one" }) as { summary: string }).summary.split("\n")).toHaveLength(10);
  });
});
