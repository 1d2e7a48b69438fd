/**
 * How spans read as traces, for the dashboard page and `loom traces` alike: one row per trace
 * (its root, when, how long, how many spans, how many failed), and a trace's spans in tree order
 * with their depth, as Jaeger lays out a waterfall. A parent that is not kept (the publisher's own
 * span, which only it knows) makes its children roots.
 */
import type { SpanData } from "./spans";

export interface TraceRow {
  id: string;
  root: SpanData;
  startNs: number;
  endNs: number;
  spans: number;
  errors: number;
}

/** One row per trace, the latest first. */
export function traceRows(spans: readonly SpanData[]): TraceRow[] {
  const byTrace = new Map<string, SpanData[]>();
  for (const s of spans) {
    const list = byTrace.get(s.trace_id);
    if (list) list.push(s);
    else byTrace.set(s.trace_id, [s]);
  }
  const rows = [...byTrace].map(([id, list]) => {
    const ids = new Set(list.map((s) => s.span_id));
    const roots = list.filter((s) => !s.parent_span_id || !ids.has(s.parent_span_id));
    const root = roots.reduce((a, b) => (b.start_time < a.start_time ? b : a), roots[0] ?? list[0]!);
    const startNs = Math.min(...list.map((s) => s.start_time));
    return { id, root, startNs, endNs: Math.max(...list.map((s) => s.start_time + s.duration)), spans: list.length, errors: list.filter((s) => s.status === "error").length };
  });
  return rows.sort((a, b) => b.startNs - a.startNs);
}

/** A trace's spans in tree order (children after their parent, by start), each with its depth. */
export function waterfallOrder(spans: readonly SpanData[]): { span: SpanData; depth: number }[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string | null, SpanData[]>();
  for (const s of [...spans].sort((a, b) => a.start_time - b.start_time)) {
    const parent = s.parent_span_id && ids.has(s.parent_span_id) ? s.parent_span_id : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: { span: SpanData; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      out.push({ span, depth });
      walk(span.span_id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The agent a span is of: the Bridge's `agent_id`, an SDK's `agent.id`, else the service an exporter named (`agent-<name>`). */
export const spanAgent = (s: SpanData): string | undefined => s.attributes.agent_id ?? s.attributes["agent.id"] ?? s.attributes["service.name"]?.replace(/^agent-/, "");

/** What a span is about, in a few words: its name, agent, topic or tool. */
export const spanLabel = (s: SpanData) => [s.name, spanAgent(s), s.attributes.topic ?? s.attributes["tool.name"]].filter(Boolean).join(" ");

/** A duration in nanoseconds as milliseconds: two decimals under 10 ms, whole ones above. */
export const formatNs = (ns: number) => `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 0)} ms`;
