/**
 * `/metrics` in Prometheus' text format (version 0.0.4): the embedded Bridge's series under
 * upstream's names, so its Grafana dashboard (observability/grafana/dashboards/loom-overview.json)
 * works unchanged, and the supervisor's per-process series that pm2 and process-exporter users
 * expect (docs/dashboard.md "Metrics"). Every label value a caller chooses is bounded: a tool name
 * that no tool has is `capability="unknown"`, and past MAX_CAPABILITIES names the rest share
 * `capability="other"`.
 */
import type { ProjectStatus } from "../../status/project";
import { isLoopback } from "../../system/peer";
import type { BridgeEvent, DashboardSource } from "./source";

/** Upstream's histogram buckets for tool latency, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const MAX_CAPABILITIES = 100;

interface ToolSeries {
  ok: number;
  errors: number;
  byStatus: Map<string, number>;
  buckets: number[];
  sum: number;
}

/** Escapes a label value as the text format wants it. */
const label = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export class BridgeMetrics {
  private readonly tools = new Map<string, ToolSeries>();
  /** llm:generate calls by where they went, as upstream's router names its routes. */
  private readonly routes = { local: 0, cloud: 0 };

  constructor(private readonly llmRoute: "local" | "cloud") {}

  /** The route llm:generate takes with this environment: a provider on this machine is local. */
  static routeOf(env: Record<string, string | undefined>): "local" | "cloud" {
    const host = URL.parse(env.VLLM_BASE_URL || "http://localhost:8000/v1")?.hostname.replace(/^\[|\]$/g, "") ?? "";
    return host === "localhost" || isLoopback(host) ? "local" : "cloud";
  }

  /** Counts a tool call; `known`: whether its name is a tool that exists (else it is counted as "unknown"). */
  observe(e: BridgeEvent, known: (name: string) => boolean = () => true): void {
    if (e.kind !== "tool") return;
    const isKnown = known(e.name);
    const name = isKnown && (this.tools.has(e.name) || this.tools.size < MAX_CAPABILITIES) ? e.name : isKnown ? "other" : "unknown";
    let series = this.tools.get(name);
    if (!series) {
      series = { ok: 0, errors: 0, byStatus: new Map(), buckets: BUCKETS.map(() => 0), sum: 0 };
      this.tools.set(name, series);
    }
    const status = e.status === "TOOL_OK" ? "ok" : e.status.replace(/^TOOL_/, "").toLowerCase();
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    if (status !== "ok") series.errors++;
    const seconds = e.ms / 1000;
    series.sum += seconds;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) series.buckets[i]!++;
    });
    if (e.name === "llm:generate") this.routes[this.llmRoute]++;
  }

  /** The exposition text: the Bridge's series, then the processes' when the supervisor answered. */
  exposition(source: DashboardSource, mcpServers: number, status?: ProjectStatus): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
    };
    const stats = source.bus.stats;
    metric("loom_agent_runtime_agents_active", "gauge", "Agents with an open event stream", [["", source.topology().agents.filter((a) => a.connected).length]]);
    metric("loom_event_bus_published_total", "counter", "Events published", [["", stats.published]]);
    metric("loom_event_bus_delivered_total", "counter", "Deliveries to subscriptions", [["", stats.delivered]]);
    metric("loom_event_bus_dropped_total", "counter", "Deliveries dropped with a stream that ended or was cut off", [["", stats.dropped ?? 0]]);
    metric("loom_event_bus_queued_bytes", "gauge", "Bytes queued for all streams", [["", source.bus.totalBytes]]);
    metric("loom_mcp_manager_servers_active", "gauge", "MCP servers started and serving tools", [["", mcpServers]]);
    const tools = [...this.tools];
    metric(
      "loom_action_broker_invocations_total",
      "counter",
      "Tool calls through ForwardToolCall",
      tools.flatMap(([name, s]) => [...s.byStatus].map(([st, n]) => [`{capability="${label(name)}",status="${st}"}`, n] as [string, number])),
    );
    metric(
      "loom_action_broker_errors_total",
      "counter",
      "Tool calls that did not succeed",
      tools.map(([name, s]) => [`{capability="${label(name)}"}`, s.errors]),
    );
    out.push("# HELP loom_action_broker_invoke_latency Tool call latency in seconds", "# TYPE loom_action_broker_invoke_latency histogram");
    for (const [name, s] of tools) {
      const cap = `capability="${label(name)}"`;
      out.push(...BUCKETS.map((le, i) => `loom_action_broker_invoke_latency_bucket{${cap},le="${le}"} ${s.buckets[i]}`));
      const count = [...s.byStatus.values()].reduce((a, b) => a + b, 0);
      out.push(
        `loom_action_broker_invoke_latency_bucket{${cap},le="+Inf"} ${count}`,
        `loom_action_broker_invoke_latency_sum{${cap}} ${s.sum}`,
        `loom_action_broker_invoke_latency_count{${cap}} ${count}`,
      );
    }
    metric("loom_router_decisions_total", "counter", "llm:generate calls by route (local: a provider on this machine)", [
      ['{route="local"}', this.routes.local],
      ['{route="cloud"}', this.routes.cloud],
    ]);
    metric("loom_bridge_uptime_seconds", "gauge", "Seconds since the Bridge started", [["", (Date.now() - source.startedAt) / 1000]]);
    if (status) processSeries(status, metric);
    return `${out.join("\n")}\n`;
  }
}

/** The supervisor's processes, as `loom status` sees them (pm2 and process-exporter users expect these). */
function processSeries(status: ProjectStatus, metric: (name: string, type: string, help: string, samples: [string, number][]) => void): void {
  const each = (f: (p: ProjectStatus["processes"][number]) => number | undefined) =>
    status.processes.flatMap((p) => {
      const v = f(p);
      return v === undefined ? [] : [[`{name="${label(p.name)}",kind="${label(p.kind)}"}`, v] as [string, number]];
    });
  metric(
    "loom_process_up",
    "gauge",
    "1 when the process runs",
    each((p) => (p.state === "running" ? 1 : 0)),
  );
  metric(
    "loom_process_restarts_total",
    "counter",
    "Restarts since the project started",
    each((p) => p.restarts),
  );
  metric(
    "loom_process_uptime_seconds",
    "gauge",
    "Seconds since the process (re)started",
    each((p) => p.uptimeSec),
  );
  metric(
    "loom_process_cpu_seconds_total",
    "counter",
    "CPU seconds of its process group since it started",
    each((p) => (p.cpuPercent === undefined || p.uptimeSec === undefined ? undefined : (p.cpuPercent / 100) * p.uptimeSec)),
  );
  metric(
    "loom_process_resident_memory_bytes",
    "gauge",
    "Resident memory of its process group",
    each((p) => (p.rssMb === undefined ? undefined : Math.round(p.rssMb * 1024 * 1024))),
  );
  metric(
    "loom_process_last_exit_code",
    "gauge",
    "The exit code of its last exit (128 + the signal's number when killed)",
    each((p) => exitCode(p.lastExit)),
  );
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** "exit 3" → 3, "killed by SIGKILL" → 137, as a shell reports them. */
function exitCode(lastExit: string | undefined): number | undefined {
  if (!lastExit) return undefined;
  const code = /^exit (\d+)$/.exec(lastExit)?.[1];
  if (code !== undefined) return Number(code);
  const signal = /killed by (\w+)/.exec(lastExit)?.[1];
  return signal && SIGNALS[signal] ? 128 + SIGNALS[signal] : undefined;
}
