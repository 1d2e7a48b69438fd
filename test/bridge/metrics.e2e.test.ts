/**
 * `/metrics` on the dashboard's address: Prometheus' text format under upstream's names, checked
 * by Debian's own `prometheus` server, which scrapes a running project and evaluates every query
 * of upstream's Grafana dashboard (observability/grafana/dashboards/loom-overview.json) to a
 * non-empty result; and the supervisor's per-process series beside them.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "pathe";
import { freePort } from "../../src/net/ports";
import { ROOT } from "../helpers/loom";
import { loom, makeProject, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const PROMETHEUS = Bun.which("prometheus", { PATH: `${process.env.PATH}:/usr/bin` });
const MCP_SERVER = join(ROOT, "test/fixtures/mcp-server.ts");

/** Every query of upstream's Grafana dashboard, as it stands there. */
const GRAFANA_QUERIES = [
  "loom_agent_runtime_agents_active",
  "rate(loom_event_bus_published_total[5m])",
  "rate(loom_event_bus_delivered_total[5m])",
  "rate(loom_event_bus_dropped_total[5m])",
  "loom_mcp_manager_servers_active",
  "histogram_quantile(0.50, rate(loom_action_broker_invoke_latency_bucket[5m]))",
  "histogram_quantile(0.90, rate(loom_action_broker_invoke_latency_bucket[5m]))",
  "histogram_quantile(0.99, rate(loom_action_broker_invoke_latency_bucket[5m]))",
  "sum by (route) (loom_router_decisions_total)",
  "rate(loom_action_broker_invocations_total[5m])",
  "sum(rate(loom_action_broker_errors_total[5m])) / sum(rate(loom_action_broker_invocations_total[5m]))",
];

async function running() {
  const toml = ['runtime = "embedded"', 'shell_allow = ["echo"]', "[mcp.calc]", `command = "${process.execPath}"`, `args = ["${MCP_SERVER}"]`, ""].join("\n");
  const root = makeProject(["echo.ts"], toml);
  expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root)).code).toBe(0);
  const dashboard = JSON.parse((await loom(["status", "--json"], root)).out).dashboard as string;
  const work = async () => {
    await loom(["pub", "echo.in", '{"n": 1}'], root);
    await loom(["call", "system:shell", '{"command": "echo", "args": ["hi"]}'], root);
    await loom(["call", "calc:add", '{"a": 1, "b": 2}'], root);
    await loom(["call", "fs:read_file", '{"path": "nope"}'], root); // an error
  };
  return { root, dashboard, work };
}

describe("/metrics", () => {
  test("upstream's names, the processes' series, and caller-chosen labels bounded", async () => {
    const { root, dashboard, work } = await running();
    await work();
    const text = await poll("the MCP server counted", async () => {
      const t = await (await fetch(`${dashboard}/metrics`)).text();
      return /^loom_mcp_manager_servers_active 1$/m.test(t) && t;
    });
    expect(text).toMatch(/^# TYPE loom_event_bus_published_total counter$/m);
    expect(text).toMatch(/^loom_event_bus_published_total [1-9]\d*$/m);
    expect(text).toMatch(/^loom_agent_runtime_agents_active [1-9]$/m);
    expect(text).toMatch(/^loom_event_bus_delivered_total [1-9]\d*$/m);
    expect(text).toMatch(/^loom_action_broker_invocations_total\{capability="system:shell",status="ok"\} 1$/m);
    expect(text).toMatch(/^loom_action_broker_errors_total\{capability="fs:read_file"\} 1$/m);
    expect(text).toMatch(/^loom_action_broker_invocations_total\{capability="fs:read_file",status="not_found"\} 1$/m);
    expect(text).toMatch(/^loom_action_broker_invoke_latency_bucket\{capability="calc:add",le="\+Inf"\} 1$/m);
    expect(text).toMatch(/^loom_process_up\{name="echo",kind="agent"\} 1$/m);
    expect(text).toMatch(/^loom_process_restarts_total\{name="core",kind="runtime"\} 0$/m);
    expect(text).toMatch(/^loom_process_resident_memory_bytes\{name="core",kind="runtime"\} [1-9]\d*$/m);
    // A caller inventing tool names gets no series of its own.
    for (let i = 0; i < 3; i++) await loom(["call", `made:up${i}`], root);
    expect(await (await fetch(`${dashboard}/metrics`)).text()).not.toContain("made:up");
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test.skipIf(!PROMETHEUS)("Debian's prometheus scrapes it and every query of upstream's Grafana dashboard has a result", async () => {
    const { root, dashboard, work } = await running();
    const dir = tempDir();
    const port = await freePort("127.0.0.1");
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: loom\n    static_configs:\n      - targets: ["${new URL(dashboard).host}"]\n`,
    );
    const prometheus = Bun.spawn(
      [PROMETHEUS!, `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdout: "ignore", stderr: "pipe" },
    );
    try {
      const api = `http://127.0.0.1:${port}/api/v1`;
      await poll("prometheus ready", async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok, 30_000);
      // Work between scrapes, so that every rate has two samples that differ.
      const scraped = async () => {
        const r = (await (await fetch(`${api}/query?query=count_over_time(up{job="loom"}[5m])`)).json()) as { data: { result: { value: [number, string] }[] } };
        return Number(r.data.result[0]?.value[1] ?? 0);
      };
      await poll(
        "four scrapes",
        async () => {
          await work();
          return (await scraped()) >= 4;
        },
        60_000,
      );
      const up = (await (await fetch(`${api}/query?query=up`)).json()) as { data: { result: { value: [number, string] }[] } };
      expect(up.data.result[0]?.value[1]).toBe("1");
      for (const query of GRAFANA_QUERIES) {
        const r = (await (await fetch(`${api}/query?query=${encodeURIComponent(query)}`)).json()) as { status: string; data: { result: unknown[] } };
        expect({ query, status: r.status, results: r.data.result.length > 0 }).toEqual({ query, status: "success", results: true });
      }
    } finally {
      prometheus.kill();
      await prometheus.exited;
      expect((await loom(["down"], root)).code).toBe(0);
    }
  });
});
