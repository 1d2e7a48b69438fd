/**
 * The dashboard's HTTP API on [dashboard] host and port, in the shapes of upstream's dashboard
 * API reference (docs/dashboard.md): `/api/events/stream` (SSE of dashboard events:
 * `event_published`, `event_delivered`, `agent_registered`, `agent_unregistered`,
 * `tool_invoked`), `/api/events/status`, `/api/topology`, `/api/flow`, `/api/metrics`,
 * `/api/spans/recent`, `/api/traces/:id`, `/api/spans/stream` (the Bridge's span store) and
 * `POST /api/debug/emit` (only with LOOM_DASHBOARD_DEBUG=true); `/metrics` (metrics.ts); OTLP/HTTP
 * `/v1/traces` (telemetry/otlp-receive.ts); loom's page at `/` (page/) and what it needs under
 * `/api/loom/` (loom-api.ts, history.ts). Every request passes guard.ts first (Host, owner); no
 * CORS header is sent.
 */
import type { BridgeEvent, DashboardSource } from "./source";
import { EVENT_BUS, FlowTracker } from "./flow";
import { type GuardOptions, refuseHost, refusePeer } from "./guard";
import { LoomApi, payloadText } from "./loom-api";
import { pageHtml } from "./page/bundle" with { type: "macro" };
import { liveProjectStatus } from "../../status/project";
import { BridgeMetrics, exposition } from "./metrics";
import { SseHub } from "./sse";
import { MetricsHistory } from "./history";
import { handleOtlpHttp } from "../../telemetry/otlp-receive";

const PREVIEW_CHARS = 100;

/** A Bridge event in upstream's DashboardEvent shape. */
export function dashboardEvent(e: BridgeEvent): Record<string, unknown> {
  const timestamp = new Date(e.at).toISOString();
  if (e.kind === "published" || e.kind === "delivered") {
    const meta = e.event.metadata ?? {};
    return {
      timestamp,
      event_type: e.kind === "published" ? "event_published" : "event_delivered",
      event_id: e.event.id ?? "",
      topic: e.topic,
      // Upstream's Bridge writes "" when the envelope names no sender (never null).
      sender: meta.sender || (e.kind === "published" ? e.from : "") || "",
      thread_id: meta.thread_id || null,
      correlation_id: meta.correlation_id || null,
      payload_preview: payloadText(e.event.payload, PREVIEW_CHARS),
      trace_id: meta.trace_id ?? "",
      ...(e.kind === "delivered" ? { to: e.to } : {}),
    };
  }
  if (e.kind === "registered" || e.kind === "unregistered")
    return {
      timestamp,
      event_type: e.kind === "registered" ? "agent_registered" : "agent_unregistered",
      event_id: `${e.kind === "registered" ? "register" : "unregister"}_${e.agentId}`,
      topic: `system.agent.${e.kind === "registered" ? "register" : "unregister"}`,
      sender: e.agentId,
      thread_id: null,
      correlation_id: null,
      payload_preview: e.kind === "registered" ? `Agent ${e.agentId} registered with ${e.topics.length} topics, ${e.tools.length} capabilities` : `Agent ${e.agentId} disconnected`,
      trace_id: "",
    };
  return {
    timestamp,
    event_type: "tool_invoked",
    event_id: e.id,
    topic: `tool.${e.name}`,
    sender: null,
    thread_id: null,
    correlation_id: null,
    payload_preview: `${e.name}: ${e.status} in ${e.ms} ms`,
    trace_id: "",
  };
}

const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

export interface DashboardOptions extends GuardOptions {
  env?: Record<string, string | undefined>;
  /** The project directory: its ledger, logs and control socket (loom-api.ts); the Bridge's working directory. */
  root?: string;
  /** The Bridge's metrics, when the caller keeps them too (the OTLP exporter); else the dashboard's own. */
  metrics?: BridgeMetrics;
}

const PAGE = pageHtml();
/** The page runs only its own script (by hash) and style, talks only to this origin, and cannot be framed. */
const CSP = (() => {
  const script = /<script type="module">([\s\S]*)<\/script>/.exec(PAGE)?.[1] ?? "";
  const hash = new Bun.CryptoHasher("sha256").update(script).digest("base64");
  return `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
})();

export function serveDashboard(source: DashboardSource, options: DashboardOptions): ReturnType<typeof Bun.serve> {
  const events = new SseHub();
  const spans = new SseHub();
  const flow = new FlowTracker();
  let tools = 0;
  const toolTimes: number[] = [];
  const env = options.env ?? process.env;
  const metrics = options.metrics ?? BridgeMetrics.follow(source, env);
  followSpans(source, spans);
  source.feed.add((e) => {
    if (e.kind === "published") flow.record(e.from, EVENT_BUS, e.topic, e.at);
    else if (e.kind === "delivered") flow.record(EVENT_BUS, e.to, e.pattern, e.at);
    else if (e.kind === "tool") {
      tools++;
      toolTimes.push(e.at);
      if (toolTimes.length > 10_000) toolTimes.splice(0, 5_000);
    }
    if (events.size) events.sendData(dashboardEvent(e));
  });
  const history = new MetricsHistory(source, metrics);
  const loom = new LoomApi(source, options.root ?? process.cwd());
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    idleTimeout: 0,
    maxRequestBodySize: 4 * 1024 * 1024, // an OTLP export's batch; gRPC's default limit too
    async fetch(req, srv) {
      const refused = refuseHost(req.headers.get("host"), options.host) ?? refusePeer(srv.requestIP(req), { ...options, port: srv.port ?? options.port });
      if (refused) return new Response(`Forbidden: ${refused}\n`, { status: 403 });
      const path = new URL(req.url).pathname;
      if (req.method === "GET" && path === "/") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": CSP } });
      if (req.method === "GET" && path === "/api/loom/history") return json(history.samples());
      const answer = (await loom.handle(req, path)) ?? (await handleOtlpHttp(req, path, source.spans));
      if (answer) return answer;
      if (req.method === "GET" && path === "/api/metrics") {
        const since = Date.now() - 5_000;
        return new Response(
          JSON.stringify({
            events_per_sec: flow.eventsPerSec(),
            active_agents: source.topology().agents.filter((a) => a.connected).length,
            active_subscriptions: [...source.bus.streams].reduce((n, s) => n + s.patterns.length, 0),
            tool_invocations_per_sec: toolTimes.filter((t) => t >= since).length / 5,
            runtime: "embedded",
            uptime_ms: Date.now() - source.startedAt,
            ...source.bus.stats,
            tool_invocations: tools,
            queued_bytes: source.bus.totalBytes,
            sse_clients_cut: events.cut,
            span_clients: spans.size,
          }),
          { headers: { "content-type": "text/plain" } },
        );
      }
      if (req.method === "GET" && path === "/metrics") {
        // The processes as `loom status` sees them; none when no supervisor answers (`loom serve`).
        const status = await liveProjectStatus(options.root ?? process.cwd()).catch(() => undefined);
        return new Response(exposition(metrics.families(source, source.mcpServersActive?.() ?? 0, status?.running ? status : undefined)), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      }
      if (req.method === "GET" && path === "/api/topology") {
        const { agents } = source.topology();
        return json({ agents, edges: agents.flatMap((a) => a.topics.map((t) => ({ from_topic: t, to_agent: a.id, event_count: 0 }))), timestamp: new Date().toISOString() });
      }
      if (req.method === "GET" && path === "/api/flow") return json(flow.snapshot());
      if (req.method === "GET" && path === "/api/events/status") return json({ subscribers: events.size });
      if (req.method === "GET" && path === "/api/events/stream") return events.open() ?? new Response("too many event streams open\n", { status: 503 });
      if (req.method === "GET" && path === "/api/spans/stream") return spans.open() ?? new Response("too many span streams open\n", { status: 503 });
      if (req.method === "GET" && path === "/api/spans/recent") {
        const given = new URL(req.url).searchParams.get("limit");
        const limit = given === null ? 100 : Number(given);
        // As upstream's (an integer query parameter): anything else is 400.
        if (given !== null && (!/^\d+$/.test(given) || !Number.isSafeInteger(limit)))
          return json({ error: `limit must be a whole number, not ${JSON.stringify(given.slice(0, 40))}` }, 400);
        return json(source.spans?.recent(limit > 0 ? Math.min(limit, 1_000) : 100) ?? []);
      }
      if (req.method === "GET" && path.startsWith("/api/traces/")) {
        const id = path.slice("/api/traces/".length).toLowerCase();
        return json(/^[0-9a-f]{32}$/.test(id) ? (source.spans?.trace(id) ?? []) : []);
      }
      if (path === "/api/debug/emit") {
        if (req.method !== "POST") return json({ error: "Not found" }, 404);
        if (env.LOOM_DASHBOARD_DEBUG !== "true") return new Response("Forbidden: debug disabled", { status: 403 });
        const body = (await req.json().catch(() => ({}))) as { topic?: unknown; sender?: unknown; payload?: unknown };
        events.sendData({
          timestamp: new Date().toISOString(),
          event_type: "event_published",
          event_id: `debug_${Date.now()}`,
          topic: String(body.topic ?? "debug"),
          sender: body.sender === undefined ? null : String(body.sender),
          thread_id: null,
          correlation_id: null,
          payload_preview: String(body.payload ?? "").slice(0, PREVIEW_CHARS),
          trace_id: "",
        });
        return new Response("ok");
      }
      return json({ error: "Not found" }, 404);
    },
  });
  return server;
}

/** `/api/spans/stream`: new spans in batches (`event: spans`, a JSON array), as upstream's. */
function followSpans(source: DashboardSource, hub: SseHub): void {
  let batch: unknown[] = [];
  source.spans?.followers.add((span) => {
    if (!hub.size || batch.length >= 1_000) return;
    if (batch.push(span) > 1) return; // the first of a batch sends it in 100 ms
    setTimeout(() => {
      hub.send(`event: spans\ndata: ${JSON.stringify(batch)}\n\n`);
      batch = [];
    }, 100);
  });
}
