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

  /** Metrics of the Bridge `source`, counting what its feed reports. */
  static follow(source: DashboardSource, env: Record<string, string | undefined>): BridgeMetrics {
    const metrics = new BridgeMetrics(BridgeMetrics.routeOf(env));
    source.feed.add((e) => metrics.observe(e, (name) => source.knowsTool?.(name) ?? true));
    return metrics;
  }

  /** Tool calls in all, and those that did not succeed (the page's charts, history.ts). */
  toolTotals(): { calls: number; errors: number } {
    let calls = 0;
    let errors = 0;
    for (const s of this.tools.values()) {
      for (const n of s.byStatus.values()) calls += n;
      errors += s.errors;
    }
    return { calls, errors };
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

  /** The Bridge's series, then the processes' when the supervisor answered. */
  families(source: DashboardSource, mcpServers: number, status?: ProjectStatus): Family[] {
    const out: Family[] = [];
    const metric = (name: string, type: Family["type"], help: string, samples: [Labels, number][]) =>
      out.push({ name, type, help, samples: samples.map(([labels, value]) => ({ labels, value: Number.isFinite(value) ? value : 0 })) });
    const stats = source.bus.stats;
    metric("loom_agent_runtime_agents_active", "gauge", "Agents with an open event stream", [[{}, source.topology().agents.filter((a) => a.connected).length]]);
    metric("loom_event_bus_published_total", "counter", "Events published", [[{}, stats.published]]);
    metric("loom_event_bus_delivered_total", "counter", "Deliveries to subscriptions", [[{}, stats.delivered]]);
    metric("loom_event_bus_dropped_total", "counter", "Deliveries dropped with a stream that ended or was cut off", [[{}, stats.dropped ?? 0]]);
    metric("loom_event_bus_queued_bytes", "gauge", "Bytes queued for all streams", [[{}, source.bus.totalBytes]]);
    metric("loom_mcp_manager_servers_active", "gauge", "MCP servers started and serving tools", [[{}, mcpServers]]);
    const tools = [...this.tools];
    metric(
      "loom_action_broker_invocations_total",
      "counter",
      "Tool calls through ForwardToolCall",
      tools.flatMap(([name, s]) => [...s.byStatus].map(([status, n]) => [{ capability: name, status }, n] as [Labels, number])),
    );
    metric(
      "loom_action_broker_errors_total",
      "counter",
      "Tool calls that did not succeed",
      tools.map(([name, s]) => [{ capability: name }, s.errors]),
    );
    out.push({
      name: "loom_action_broker_invoke_latency",
      type: "histogram",
      help: "Tool call latency in seconds",
      samples: [],
      histograms: tools.map(([name, s]) => ({ labels: { capability: name }, cumulative: s.buckets, sum: s.sum, count: [...s.byStatus.values()].reduce((a, b) => a + b, 0) })),
    });
    metric("loom_router_decisions_total", "counter", "llm:generate calls by route (local: a provider on this machine)", [
      [{ route: "local" }, this.routes.local],
      [{ route: "cloud" }, this.routes.cloud],
    ]);
    metric("loom_bridge_uptime_seconds", "gauge", "Seconds since the Bridge started", [[{}, (Date.now() - source.startedAt) / 1000]]);
    if (status) processSeries(status, metric);
    return out;
  }
}

type Labels = Record<string, string>;

/** A metric and its samples, for the text format (`exposition`) and for OTLP (bridge/otlp-export.ts). */
export interface Family {
  name: string;
  type: "gauge" | "counter" | "histogram";
  help: string;
  samples: { labels: Labels; value: number }[];
  /** A histogram's series: `cumulative[i]` observations at most BUCKETS[i]. */
  histograms?: { labels: Labels; cumulative: number[]; sum: number; count: number }[];
}

export { BUCKETS };

const labelText = (labels: Labels, extra = "") => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/** The families in Prometheus' text format (version 0.0.4). */
export function exposition(families: Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${s.value}`);
    for (const h of f.histograms ?? []) {
      out.push(...BUCKETS.map((le, i) => `${f.name}_bucket${labelText(h.labels, `le="${le}"`)} ${h.cumulative[i]}`));
      out.push(
        `${f.name}_bucket${labelText(h.labels, 'le="+Inf"')} ${h.count}`,
        `${f.name}_sum${labelText(h.labels)} ${h.sum}`,
        `${f.name}_count${labelText(h.labels)} ${h.count}`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}

/** The supervisor's processes, as `loom status` sees them (pm2 and process-exporter users expect these). */
function processSeries(status: ProjectStatus, metric: (name: string, type: Family["type"], help: string, samples: [Labels, number][]) => void): void {
  const each = (f: (p: ProjectStatus["processes"][number]) => number | undefined) =>
    status.processes.flatMap((p) => {
      const v = f(p);
      return v === undefined ? [] : [[{ name: p.name, kind: p.kind }, v] as [Labels, number]];
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
