/// <reference lib="dom" />
/**
 * The dashboard page: plain TypeScript over the DOM, bundled by Bun into the page loom serves (no
 * framework: a few tables and two bounded lists do not need one, and the page stays small and
 * works offline). Every value from the server is set as text, never as HTML. At most EVENT_ROWS
 * events and LOG_ROWS log lines are in the DOM; new ones are added once per animation frame.
 */
import type { ProcessStatus } from "../../../status/project";
import { formatUptime as uptime } from "../../../status/format";
import { matches as topicMatches } from "../../topics";
import type { PageEvent } from "../loom-api";
import type { SpanData } from "../../spans";
import { formatNs, spanLabel, traceRows, waterfallOrder } from "../../trace-view";

const EVENT_ROWS = 200;
const EVENT_BUFFER = 1_000;
const LOG_ROWS = 500;

type Attrs = Record<string, string | undefined>;
function el(tag: string, attrs: Attrs = {}, ...children: (Node | string | undefined)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, v);
  for (const c of children) if (c !== undefined) node.append(c);
  return node;
}
const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector(selector) as T;
const time = (ms?: number) => (ms ? new Date(ms).toLocaleTimeString() : "");

let token = "";
function notice(text: string, bad = false): void {
  const n = $("#notice");
  n.textContent = text;
  n.className = bad ? "bad" : "muted";
}

async function get<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return JSON.parse(await r.text()) as T;
}

async function act(path: string, body: unknown, retried = false): Promise<{ ok: boolean; error?: string; lines?: string[]; id?: string }> {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json", "x-loom-token": token }, body: JSON.stringify(body) });
  if (r.status === 403 && !retried) {
    // A restarted runtime serves this page with a new token: read it and try once more.
    token = (await get<{ token: string }>("/api/loom/session")).token;
    return act(path, body, true);
  }
  return r.json();
}

// --- processes -----------------------------------------------------------------------------------

function control(cmd: string, name: string, runtime: boolean): void {
  notice(`${cmd} ${name}…`);
  const body = runtime ? { cmd, names: [], runtime: true } : { cmd, names: [name] };
  act("/api/loom/control", body)
    .then((r) => notice(r.ok ? (r.lines ?? []).join("; ") || `${cmd} ${name}: done` : `${cmd} ${name}: ${r.error}`, !r.ok))
    .catch((e) => notice(String(e), true));
}

async function refreshProcesses(): Promise<void> {
  const status = await get<{ running: boolean; processes: ProcessStatus[]; root: string; runtime?: string }>("/api/loom/processes");
  $("#project").textContent = `${status.root}${status.runtime ? ` · ${status.runtime}` : ""}`;
  const body = $("#processes tbody");
  $("#processes .empty").hidden = status.processes.length > 0;
  const logSelect = $<HTMLSelectElement>("#log-process");
  for (const p of status.processes) if (![...logSelect.options].some((o) => o.value === p.name)) logSelect.append(el("option", { value: p.name }, p.name));
  body.replaceChildren(
    ...status.processes.map((p) => {
      const runtime = p.kind === "runtime";
      const buttons = el("td");
      const actions = runtime ? ["restart"] : p.state === "stopped" || p.state === "crash-loop" || p.state === "failed" ? ["start"] : ["restart", "stop"];
      for (const a of actions) {
        const b = el("button", { type: "button", "data-action": a }, a);
        b.onclick = () => control(a, p.name, runtime);
        buttons.append(b);
      }
      return el(
        "tr",
        { "data-process": p.name, "data-state": p.state, "data-restarts": String(p.restarts), "data-pid": p.pid ? String(p.pid) : undefined },
        el("td", {}, p.name),
        el("td", { class: `state-${p.state}` }, p.state),
        el("td", {}, p.pid ? String(p.pid) : ""),
        el("td", {}, uptime(p.uptimeSec)),
        el("td", {}, String(p.restarts)),
        el("td", {}, p.lastExit ?? ""),
        el("td", { class: p.health === "ok" ? "ok" : p.health ? "bad" : undefined }, p.health ?? ""),
        el("td", {}, p.cpuPercent === undefined ? "" : `${p.cpuPercent.toFixed(1)}%`),
        el("td", {}, p.rssMb === undefined ? "" : `${p.rssMb.toFixed(1)} MB`),
        buttons,
      );
    }),
  );
}

// --- agents, flow, metrics -----------------------------------------------------------------------
async function refreshAgents(): Promise<void> {
  const { agents } = await get<{ agents: { id: string; topics: string[]; capabilities: string[]; connected: boolean }[] }>("/api/topology");
  $("#agents tbody").replaceChildren(
    ...agents.map((a) =>
      el(
        "tr",
        { "data-agent": a.id },
        el("td", {}, a.id),
        el("td", { class: a.connected ? "ok" : "warn" }, a.connected ? "yes" : "no"),
        el("td", { class: "wrap" }, a.topics.join(", ")),
        el("td", { class: "wrap" }, a.capabilities.join(", ")),
      ),
    ),
  );
}

async function refreshFlow(): Promise<void> {
  const { flows } = await get<{ flows: { source: string; target: string; topic: string; count: number }[] }>("/api/flow");
  // agent -> EventBus and EventBus -> agent, joined per topic: who publishes to whom.
  const rows: [string, string, string, number][] = [];
  for (const out of flows.filter((f) => f.target === "EventBus"))
    for (const inn of flows.filter((f) => f.source === "EventBus" && topicMatches(f.topic, out.topic))) rows.push([out.source, out.topic, inn.target, inn.count]);
  for (const out of flows.filter((f) => f.target === "EventBus" && !rows.some((r) => r[0] === f.source && r[1] === f.topic)))
    rows.push([out.source, out.topic, "(nobody)", out.count]);
  $("#flow tbody").replaceChildren(...rows.map(([from, topic, to, n]) => el("tr", {}, el("td", {}, from), el("td", {}, topic), el("td", {}, to), el("td", {}, String(n)))));
}

async function refreshMetrics(): Promise<void> {
  const m = await get<{ events_per_sec: number; active_agents: number; uptime_ms: number }>("/api/metrics");
  $("#metrics").textContent = `${m.active_agents} agents · ${m.events_per_sec} events/s · up ${uptime(Math.round(m.uptime_ms / 1000))}`;
}

// --- events --------------------------------------------------------------------------------------
const buffer: PageEvent[] = [];
let fresh: PageEvent[] = [];
let paused = false;
let total = 0;
let scheduled = false;

/** The page's filter: a topic prefix, or a pattern `a.b.*`. */
function matches(e: PageEvent, filter: string): boolean {
  if (!filter) return true;
  const topic = e.kind === "event" ? e.topic : e.kind === "tool" ? `tool.${e.name}` : "system.agent";
  return filter.endsWith(".*") ? topicMatches(filter, topic) : topic.startsWith(filter);
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function eventRow(e: PageEvent): HTMLElement {
  if (e.kind === "tool") return el("li", { "data-kind": "tool" }, `${time(e.at)}  tool ${e.name}  ${e.status} in ${e.ms} ms`);
  if (e.kind === "agent") return el("li", { "data-kind": "agent" }, `${time(e.at)}  agent ${e.id} ${e.registered ? "registered" : "left"}`);
  const cut = e.bytes > e.payload.length ? ` (${e.bytes} bytes, first ${e.payload.length} shown)` : "";
  const row = el("li", { "data-kind": "event", "data-topic": e.topic }, `${time(e.at)}  ${e.topic}  ${e.type}  from ${e.sender}  ${e.payload.slice(0, 120)}`);
  row.onclick = () => {
    const open = row.querySelector("pre");
    if (open) open.remove();
    else row.append(el("pre", {}, pretty(e.payload) + cut));
  };
  return row;
}

function renderEvents(all = false): void {
  scheduled = false;
  const list = $("#event-list");
  const filter = $<HTMLInputElement>("#event-filter").value.trim();
  const source = all ? buffer : fresh;
  fresh = [];
  const shown = source.filter((e) => matches(e, filter)).slice(-EVENT_ROWS);
  if (all) list.replaceChildren();
  for (const e of shown) list.prepend(eventRow(e));
  while (list.childElementCount > EVENT_ROWS) list.lastElementChild!.remove();
  $("#event-count").textContent = `${total} seen${paused ? " · paused" : ""}`;
}

function onEvent(e: PageEvent): void {
  total++;
  buffer.push(e);
  if (buffer.length > EVENT_BUFFER) buffer.splice(0, buffer.length - EVENT_BUFFER);
  if (paused) return;
  fresh.push(e);
  if (fresh.length > EVENT_ROWS) fresh.splice(0, fresh.length - EVENT_ROWS);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(() => renderEvents());
  }
}

// --- traces --------------------------------------------------------------------------------------
const SPANS_KEPT = 2_000;
const TRACE_ROWS = 20;
const spans = new Map<string, SpanData>();
let openTrace = "";
let tracesScheduled = false;

function addSpans(list: SpanData[]): void {
  for (const s of list) spans.set(s.span_id + s.trace_id, s);
  for (const key of spans.keys()) {
    if (spans.size <= SPANS_KEPT) break;
    spans.delete(key);
  }
  if (!tracesScheduled) {
    tracesScheduled = true;
    requestAnimationFrame(renderTraces);
  }
}

function renderTraces(): void {
  tracesScheduled = false;
  const rows = traceRows([...spans.values()]);
  rows.sort((a, b) => Number(b.errors > 0) - Number(a.errors > 0)); // stable: errors first, then the latest
  $("#traces tbody").replaceChildren(
    ...rows.slice(0, TRACE_ROWS).map((r) => {
      const row = el(
        "tr",
        { "data-trace": r.id, class: r.errors ? "bad" : undefined },
        el("td", {}, el("code", {}, r.id)),
        el("td", {}, time(r.startNs / 1e6)),
        el("td", {}, formatNs(r.endNs - r.startNs)),
        el("td", {}, String(r.spans)),
        el("td", {}, r.errors ? `${r.errors} error${r.errors > 1 ? "s" : ""}` : "ok"),
        el("td", {}, spanLabel(r.root)),
      );
      row.onclick = () => {
        openTrace = openTrace === r.id ? "" : r.id;
        renderTraces();
      };
      return row;
    }),
  );
  const detail = $("#trace-detail");
  const chosen = [...spans.values()].filter((s) => s.trace_id === openTrace);
  detail.hidden = chosen.length === 0;
  if (!chosen.length) return;
  const start = Math.min(...chosen.map((s) => s.start_time));
  const total = Math.max(1, Math.max(...chosen.map((s) => s.start_time + s.duration)) - start);
  // A waterfall: each span indented under its parent, its bar placed and sized in the trace's time.
  detail.replaceChildren(
    ...waterfallOrder(chosen).map(({ span: s, depth }) => {
      const bar = el("span", {
        class: "bar",
        style: `margin-left:${((100 * (s.start_time - start)) / total).toFixed(2)}%;width:${Math.max(0.5, (100 * s.duration) / total).toFixed(2)}%`,
      });
      const attrs = Object.entries(s.attributes)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      return el(
        "li",
        { "data-span": s.name, class: s.status === "error" ? "bad" : undefined, title: attrs },
        el("span", { class: "span-name", style: `padding-left:${depth}em` }, `${spanLabel(s)} · ${formatNs(s.duration)}${s.error_message ? ` · ${s.error_message}` : ""}`),
        el("span", { class: "track" }, bar),
      );
    }),
  );
}

function followSpans(): void {
  get<SpanData[]>("/api/spans/recent?limit=1000")
    .then(addSpans)
    .catch(() => {});
  const stream = new EventSource("/api/spans/stream");
  stream.addEventListener("spans", (m) => addSpans(JSON.parse((m as MessageEvent).data)));
}

// --- logs ----------------------------------------------------------------------------------------
let logs: EventSource | undefined;
function followLogs(name: string): void {
  logs?.close();
  const list = $("#log-list");
  list.replaceChildren();
  logs = new EventSource(`/api/loom/logs${name ? `?name=${encodeURIComponent(name)}` : ""}`);
  logs.onmessage = (m) => {
    const line = JSON.parse(m.data) as { name: string; err: boolean; at?: number; text: string };
    if (line.err && line.text.startsWith("--- loom ")) return; // loom's start and end markers are in both files: shown once
    list.append(el("li", { class: line.err ? "stderr" : undefined }, `${time(line.at)} ${line.name} ${line.err ? "!" : "|"} ${line.text}`));
    while (list.childElementCount > LOG_ROWS) list.firstElementChild!.remove();
    list.scrollTop = list.scrollHeight;
  };
}

// --- start ---------------------------------------------------------------------------------------
function every(ms: number, task: () => Promise<void>): void {
  const run = () => task().catch((e) => notice(String(e), true));
  void run();
  setInterval(run, ms);
}

async function start(): Promise<void> {
  token = (await get<{ token: string }>("/api/loom/session")).token;
  every(1_000, refreshProcesses);
  every(2_000, refreshAgents);
  every(2_000, refreshFlow);
  every(2_000, refreshMetrics);
  const events = new EventSource("/api/loom/events");
  events.onmessage = (m) => onEvent(JSON.parse(m.data));
  $("#event-filter").oninput = () => renderEvents(true);
  $("#event-pause").onclick = () => {
    paused = !paused;
    $("#event-pause").textContent = paused ? "Resume" : "Pause";
    renderEvents(!paused);
  };
  $("#event-clear").onclick = () => {
    buffer.length = 0;
    renderEvents(true);
  };
  $<HTMLSelectElement>("#log-process").onchange = (e) => followLogs((e.target as HTMLSelectElement).value);
  followLogs("");
  followSpans();
  $<HTMLFormElement>("#publish-form").onsubmit = async (e) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    let payload: unknown;
    try {
      payload = JSON.parse(String(form.get("payload") || "{}"));
    } catch {
      $("#publish-result").textContent = "the payload is not JSON";
      return;
    }
    const r = await act("/api/loom/publish", { topic: form.get("topic"), type: form.get("type") || undefined, payload });
    $("#publish-result").textContent = r.ok ? `published (${r.id})` : `refused: ${r.error}`;
  };
}

start().catch((e) => notice(`cannot reach loom: ${e}`, true));
