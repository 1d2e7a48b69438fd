/** The exposition text by itself: bounded labels, escaping, histograms, routes, exit codes. */
import { describe, expect, test } from "bun:test";
import { BridgeMetrics, exposition } from "../../src/bridge/dashboard/metrics";
import type { DashboardSource } from "../../src/bridge/dashboard/source";

const source: DashboardSource = {
  feed: new Set(),
  startedAt: Date.now(),
  topology: () => ({ agents: [] }),
  bus: { stats: { published: 0, delivered: 0, dropped: 0, waits: 0, waitedMs: 0, stalled: 0 }, totalBytes: 0, streams: new Set() },
};
const tool = (name: string, status = "TOOL_OK", ms = 12) => ({ kind: "tool" as const, name, id: "1", status, ms, at: Date.now() });

describe("BridgeMetrics", () => {
  test("at most 100 tool names get a series; invented names are 'unknown'; quotes and newlines are escaped", () => {
    const m = new BridgeMetrics("local");
    for (let i = 0; i < 150; i++) m.observe(tool(`t${i}:x`));
    m.observe(tool('evil"\nname'), () => true);
    m.observe(tool("made:up", "TOOL_NOT_FOUND"), () => false);
    const text = exposition(m.families(source, 0));
    const capabilities = new Set([...text.matchAll(/loom_action_broker_invocations_total\{capability="((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]));
    expect(capabilities.size).toBe(102); // 100 names, "other", "unknown"
    expect(text).toContain('loom_action_broker_invocations_total{capability="other",status="ok"} 51');
    expect(text).toContain('loom_action_broker_invocations_total{capability="unknown",status="not_found"} 1');
    expect(text).not.toContain("made:up");
    for (const line of text.split("\n")) expect(line).not.toMatch(/^[^#].*\{[^}]*$/); // no label set broken across lines
  });

  test("latency is a histogram in seconds; llm:generate counts as a routing decision", () => {
    const m = new BridgeMetrics(BridgeMetrics.routeOf({ VLLM_BASE_URL: "https://api.deepseek.com/v1" }));
    m.observe(tool("llm:generate", "TOOL_OK", 800));
    m.observe(tool("llm:generate", "TOOL_ERROR", 30));
    const text = exposition(m.families(source, 2));
    expect(text).toContain('loom_action_broker_invoke_latency_bucket{capability="llm:generate",le="0.05"} 1');
    expect(text).toContain('loom_action_broker_invoke_latency_bucket{capability="llm:generate",le="1"} 2');
    expect(text).toContain('loom_action_broker_invoke_latency_count{capability="llm:generate"} 2');
    expect(text).toContain('loom_action_broker_errors_total{capability="llm:generate"} 1');
    expect(text).toContain('loom_router_decisions_total{route="cloud"} 2');
    expect(text).toContain("loom_mcp_manager_servers_active 2");
    expect(BridgeMetrics.routeOf({})).toBe("local");
  });

  test("the processes' last exit as a shell reports it", () => {
    const text = exposition(
      new BridgeMetrics("local").families(source, 0, {
        root: "/p",
        running: true,
        processes: [
          { name: "a", kind: "agent", state: "running", restarts: 2, lastExit: "exit 3", uptimeSec: 10, cpuPercent: 50, rssMb: 1 },
          { name: "b", kind: "agent", state: "crash-loop", restarts: 5, lastExit: "killed by SIGKILL" },
        ],
      }),
    );
    expect(text).toContain('loom_process_last_exit_code{name="a",kind="agent"} 3');
    expect(text).toContain('loom_process_last_exit_code{name="b",kind="agent"} 137');
    expect(text).toContain('loom_process_up{name="b",kind="agent"} 0');
    expect(text).toContain('loom_process_cpu_seconds_total{name="a",kind="agent"} 5');
    expect(text).toContain('loom_process_resident_memory_bytes{name="a",kind="agent"} 1048576');
  });
});
