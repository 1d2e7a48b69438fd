/// <reference lib="dom" />
/**
 * The page's traces: the latest spans (from `/api/spans/recent`, then `/api/spans/stream`), one row
 * per trace (errors first), and the open trace as a waterfall with each span's attributes and the
 * logs of its processes while it ran.
 */
import type { SpanData } from "../../../telemetry/spans";
import { formatNs, spanAgent, spanLabel, traceRows, waterfallOrder } from "../../../telemetry/trace-view";
import { $, el, time } from "./dom";
import { logBuffer, logRow, RUNTIME_NAMES } from "./logs";

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
  renderTrace([...spans.values()].filter((s) => s.trace_id === openTrace));
}

/** The open trace: a waterfall across agents, tools and LLM calls (a span's attributes on a click), then its processes' logs of that time. */
function renderTrace(chosen: SpanData[]): void {
  $("#trace-view").hidden = chosen.length === 0;
  if (!chosen.length) return;
  const start = Math.min(...chosen.map((s) => s.start_time));
  const end = Math.max(...chosen.map((s) => s.start_time + s.duration));
  const total = Math.max(1, end - start);
  $("#trace-title").textContent = `trace ${openTrace} · ${chosen.length} spans · ${formatNs(end - start)}`;
  $("#trace-detail").replaceChildren(
    ...waterfallOrder(chosen).map(({ span: s, depth }) => {
      const bar = el("span", {
        class: "bar",
        style: `margin-left:${((100 * (s.start_time - start)) / total).toFixed(2)}%;width:${Math.max(0.5, (100 * s.duration) / total).toFixed(2)}%`,
      });
      const row = el(
        "li",
        { "data-span": s.name, class: s.status === "error" ? "bad" : undefined },
        el("span", { class: "span-name", style: `padding-left:${depth}em` }, `${spanLabel(s)} · ${formatNs(s.duration)}${s.error_message ? ` · ${s.error_message}` : ""}`),
        el("span", { class: "track" }, bar),
      );
      row.onclick = () => {
        const open = row.querySelector("pre");
        if (open) open.remove();
        else row.append(el("pre", {}, JSON.stringify({ span_id: s.span_id, parent_span_id: s.parent_span_id, status: s.status, ...s.attributes }, null, 2)));
      };
      return row;
    }),
  );
  // The lines its processes wrote while it ran (a second either side): agents by id, the runtime for the Bridge's spans.
  const names = new Set(chosen.map((s) => (s.name.startsWith("bridge.") ? "" : (spanAgent(s) ?? ""))));
  const runtime = chosen.some((s) => s.name.startsWith("bridge."));
  const from = start / 1e6 - 1_000;
  const to = end / 1e6 + 1_000;
  const lines = logBuffer.filter(
    (l) => (names.has(l.name) || names.has(l.name.replace(/\.\d+$/, "")) || (runtime && RUNTIME_NAMES.has(l.name))) && (l.at ?? 0) >= from && (l.at ?? 0) <= to,
  );
  $("#trace-logs").replaceChildren(...(lines.length ? lines.map(logRow) : [el("li", { class: "muted" }, "nothing logged then")]));
}

/** The latest spans (`recent`: the page's request for them), then each batch the stream sends. */
export function followSpans(recent: Promise<SpanData[]>): void {
  recent.then(addSpans).catch(() => {});
  const stream = new EventSource("/api/spans/stream");
  stream.addEventListener("spans", (m) => addSpans(JSON.parse((m as MessageEvent).data)));
}
