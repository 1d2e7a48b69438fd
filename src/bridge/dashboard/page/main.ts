/// <reference lib="dom" />
/**
 * The dashboard page: plain TypeScript over the DOM, bundled by Bun into the page loom serves (no
 * framework: a few tables and two bounded lists do not need one, and the page stays small and
 * works offline). Every value from the server is set as text, never as HTML (dom.ts). At most
 * EVENT_ROWS events are in the DOM, new ones added once per animation frame; traces.ts, logs.ts and
 * charts.ts draw their sections.
 */
import type { ProcessStatus } from "../../../status/project";
import { formatUptime as uptime } from "../../../status/format";
import { matches as topicMatches } from "../../topics";
import type { PageEvent } from "../loom-api";
import type { SpanData } from "../../../telemetry/spans";
import type { Sample } from "../history";
import { renderCharts } from "./charts";
import { $, el, time } from "./dom";
import { filterLogs, followLogs } from "./logs";
import { followSpans } from "./traces";

const EVENT_ROWS = 200;
const EVENT_BUFFER = 1_000;
/** `loom pub` and `loom sub` register as agents of their own; the page folds them away. */
const CLI_CLIENT = /^loom-(pub|sub)-\d+$/;

let token = "";
/** A request that reached nothing: the connection state says so, no notice is needed. */
class Unreachable extends Error {}
function notice(text: string, bad = false): void {
  const n = $("#notice");
  n.textContent = text;
  n.className = bad ? "bad" : "muted";
}

// --- connection ----------------------------------------------------------------------------------
let downSince = 0;
/** The page's one idea of whether loom answers: every request says; the header and the page show it. */
function connected(up: boolean): void {
  if (up === !downSince && document.body.dataset.seen) return;
  document.body.dataset.seen = "1";
  const c = $("#connection");
  if (up) {
    if (downSince) notice(`reconnected (loom was unreachable for ${uptime(Math.round((Date.now() - downSince) / 1000))})`);
    downSince = 0;
    c.dataset.state = "up";
    c.textContent = "connected";
  } else {
    downSince = Date.now();
    c.dataset.state = "down";
    c.textContent = `loom is not reachable since ${time(downSince)}: what is shown is as it was then; retrying…`;
  }
  document.body.classList.toggle("disconnected", !up);
}

async function get<T>(path: string): Promise<T> {
  let r: Response;
  try {
    r = await fetch(path);
  } catch {
    connected(false);
    throw new Unreachable();
  }
  connected(true);
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
  const { agents: all } = await get<{ agents: { id: string; topics: string[]; capabilities: string[]; connected: boolean }[] }>("/api/topology");
  const agents = all.filter((a) => !CLI_CLIENT.test(a.id));
  const cli = all.length - agents.length;
  $("#cli-clients").textContent = cli
    ? `${cli} loom pub/sub client${cli > 1 ? "s" : ""} folded away (${all.filter((a) => CLI_CLIENT.test(a.id) && a.connected).length} connected)`
    : "";
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
  const { flows: raw } = await get<{ flows: { source: string; target: string; topic: string; count: number }[] }>("/api/flow");
  // Every `loom pub`/`loom sub` is one "loom CLI", and its reply topics one pattern.
  const fold = (id: string) => (CLI_CLIENT.test(id) ? "loom CLI" : id);
  const merged = new Map<string, { source: string; target: string; topic: string; count: number }>();
  for (const f of raw) {
    const topic = f.topic.replace(/^agent\.loom-(pub|sub)-\d+\.replies$/, "agent.loom-$1-*.replies");
    const flow = { source: fold(f.source), target: fold(f.target), topic, count: f.count };
    const key = `${flow.source}\n${flow.target}\n${topic}`;
    const seen = merged.get(key);
    if (seen) seen.count += f.count;
    else merged.set(key, flow);
  }
  const flows = [...merged.values()];
  // agent -> EventBus and EventBus -> agent, joined per topic: who publishes to whom.
  const rows: [string, string, string, number][] = [];
  for (const out of flows.filter((f) => f.target === "EventBus"))
    for (const inn of flows.filter((f) => f.source === "EventBus" && topicMatches(f.topic, out.topic))) rows.push([out.source, out.topic, inn.target, inn.count]);
  for (const out of flows.filter((f) => f.target === "EventBus" && !rows.some((r) => r[0] === f.source && r[1] === f.topic)))
    rows.push([out.source, out.topic, "(nobody)", out.count]);
  rows.sort((a, b) => a[0].localeCompare(b[0]) || b[3] - a[3]); // grouped by publisher, the busiest first
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
  if (e.kind === "tool") return el("li", { "data-kind": "tool", class: e.status === "TOOL_OK" ? undefined : "bad" }, `${time(e.at)}  tool ${e.name}  ${e.status} in ${e.ms} ms`);
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

// --- start ---------------------------------------------------------------------------------------
function every(ms: number, task: () => Promise<void>): void {
  const run = () => task().catch((e) => e instanceof Unreachable || notice(String(e), true));
  void run();
  setInterval(run, ms);
}

async function start(): Promise<void> {
  token = (await get<{ token: string }>("/api/loom/session")).token;
  every(1_000, refreshProcesses);
  every(2_000, refreshAgents);
  every(2_000, refreshFlow);
  every(2_000, refreshMetrics);
  every(5_000, async () => renderCharts(await get<Sample[]>("/api/loom/history")));
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
  $<HTMLSelectElement>("#log-process").onchange = (e) => filterLogs((e.target as HTMLSelectElement).value);
  followLogs();
  followSpans(get<SpanData[]>("/api/spans/recent?limit=1000"));
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

// The first request may find loom away (a page left open across `loom down`): try again until it answers.
function begin(): void {
  start().catch(() => setTimeout(begin, 2_000));
}
begin();
