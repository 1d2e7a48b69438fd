/**
 * The embedded Bridge's spans (docs/dashboard.md "Traces"): what it does as spans in upstream's
 * shape (docs/runtime-contract.md "Observability": `{trace_id, span_id, parent_span_id, name,
 * start_time, duration, attributes, status, error_message}`, times in Unix nanoseconds), kept in a
 * store bounded in count and bytes. Context travels in envelope metadata in both of its forms
 * (trace-context.ts): a span continues the one it finds there. As upstream's, events go on as the
 * publisher wrote them (its receivers continue the publisher's span); a tool call's span is handed
 * on to the agent that answers it, in the call's headers.
 */
import { scrub } from "../config/env/secrets";
import type { SpanDb } from "./span-db";
import { randomHex } from "../system/random";
import type { TraceContext } from "./trace-context";

export { contextFrom, contextMetadata, type TraceContext } from "./trace-context";

export interface SpanData {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  start_time: number;
  duration: number;
  attributes: Record<string, string>;
  status: "ok" | "error" | "unset";
  error_message: string | null;
}

/**
 * Ids from a random prefix per process and a counter: unique here, and a collision across
 * processes as unlikely as the prefix's bits allow (32 for spans, 64 for traces). A call for
 * random bytes per span and per trace measured 20-40 % of the Bridge's fan-out rate.
 */
/** Spans kept for the dashboard's trace view (upstream keeps 10,000), and their bytes together. */
export const MAX_SPANS = 10_000;
export const MAX_SPAN_BYTES = 8 * 1024 * 1024;

const SPAN_PREFIX = randomHex(4);
const TRACE_PREFIX = randomHex(8);
let spanCounter = 0;
let traceCounter = 0;
function nextSpanId(): string {
  spanCounter = (spanCounter + 1) >>> 0 || 1;
  return SPAN_PREFIX + spanCounter.toString(16).padStart(8, "0");
}
const traceId = () => TRACE_PREFIX + (++traceCounter).toString(16).padStart(16, "0");
const nowNs = () => Math.round((performance.timeOrigin + performance.now()) * 1e6);
/** An attribute's value is cut here: a caller chooses topics, ids and errors. */
const VALUE_CHARS = 256;
/** A prompt or completion kept on a span ([telemetry] capture_content): its start is enough to know it. */
const CONTENT_CHARS = 4_096;

/** Where ended spans go: the Bridge's store, or the TypeScript SDK's exporter. */
export interface SpanSink {
  record(span: SpanData): void;
}

export class ActiveSpan {
  readonly ctx: TraceContext;
  private readonly started = nowNs();

  constructor(
    private readonly store: SpanSink | undefined,
    readonly name: string,
    private readonly parent: TraceContext | undefined,
    private readonly attributes: Record<string, string>,
  ) {
    this.ctx = { traceId: parent?.traceId ?? traceId(), spanId: nextSpanId(), flags: parent?.flags ?? "01" };
  }

  set(key: string, value: string | number | undefined): this {
    if (value !== undefined) this.attributes[key] = String(value).slice(0, VALUE_CHARS);
    return this;
  }

  /** A text kept only when asked (a prompt, a completion): at most CONTENT_CHARS, every known secret and URL credential replaced. */
  setText(key: string, value: string): this {
    this.attributes[key] = scrub(value.length > CONTENT_CHARS ? `${value.slice(0, CONTENT_CHARS)}…` : value);
    return this;
  }

  end(error?: string): void {
    this.store?.record({
      trace_id: this.ctx.traceId,
      span_id: this.ctx.spanId,
      parent_span_id: this.parent?.spanId ?? null,
      name: this.name,
      start_time: this.started,
      duration: Math.max(0, nowNs() - this.started),
      attributes: this.attributes,
      status: error === undefined ? "ok" : "error",
      error_message: error === undefined ? null : error.slice(0, VALUE_CHARS * 4),
    });
  }
}

/**
 * Ends a tool call's span with its status, and an `llm:generate` call's `chat` span beneath it
 * with OpenTelemetry's GenAI attributes from its answer (the model, the tokens in and out).
 */
export function endToolSpans(
  span: ActiveSpan,
  llm: ActiveSpan | undefined,
  result: { status: string; output: string; error: { message: string } | null },
  /** The call's arguments, when the prompt and completion are to be kept ([telemetry] capture_content). */
  content?: string,
): void {
  const error = result.status === "TOOL_OK" ? undefined : (result.error?.message ?? result.status);
  if (llm) {
    let answer: { model?: string; text?: string; usage?: { prompt_tokens?: number; completion_tokens?: number } } = {};
    try {
      answer = result.output ? JSON.parse(result.output) : {};
    } catch {}
    llm.set("gen_ai.response.model", answer.model).set("gen_ai.usage.input_tokens", answer.usage?.prompt_tokens).set("gen_ai.usage.output_tokens", answer.usage?.completion_tokens);
    if (content !== undefined) {
      let prompt = "";
      try {
        const args = JSON.parse(content) as { input?: string; bundle?: { system?: string; instructions?: string } };
        prompt = [args.bundle?.system, args.bundle?.instructions ?? args.input].filter(Boolean).join("\n\n");
      } catch {}
      llm.setText("gen_ai.prompt", prompt).setText("gen_ai.completion", answer.text ?? "");
    }
    llm.end(error);
  }
  span.set("tool.status", result.status).end(error);
}

/** A span's bytes near enough to bound a queue of them by. */
export function spanBytes(s: SpanData): number {
  let n = 160 + s.name.length + (s.error_message?.length ?? 0);
  for (const key in s.attributes) n += key.length + s.attributes[key]!.length + 16;
  return n;
}

/** The latest spans, at most MAX_SPANS and MAX_SPAN_BYTES (the oldest go first), and who follows them. */
export class SpanStore implements SpanSink {
  private readonly spans: SpanData[] = [];
  private head = 0;
  private bytes = 0;
  readonly followers = new Set<(span: SpanData) => void>();
  /** The history on disk, when the Bridge has a project's `.loom/` (span-db.ts). */
  private db?: SpanDb;

  enabled = true;

  /** Keeps spans in `db` from now on, and starts from the latest it holds. */
  persist(db: SpanDb): void {
    for (const span of db.latest(MAX_SPANS)) this.remember(span);
    this.db = db;
  }

  start(name: string, parent: TraceContext | undefined, attributes: Record<string, string | undefined> = {}): ActiveSpan {
    const attrs: Record<string, string> = {};
    for (const key in attributes) {
      const v = attributes[key];
      if (v !== undefined) attrs[key] = v.length > VALUE_CHARS ? v.slice(0, VALUE_CHARS) : v;
    }
    return new ActiveSpan(this.enabled ? this : undefined, name, parent, attrs);
  }

  /**
   * A span that takes no time of its own (a delivery handed to its stream's queue), recorded at
   * once: the fan-out path, without the bookkeeping of a span that is ended later.
   */
  instant(name: string, parent: TraceContext, attributes: Record<string, string>): void {
    if (!this.enabled) return;
    const at = nowNs();
    this.record({
      trace_id: parent.traceId,
      span_id: nextSpanId(),
      parent_span_id: parent.spanId,
      name,
      start_time: at,
      duration: 0,
      attributes,
      status: "ok",
      error_message: null,
    });
  }

  record(span: SpanData): void {
    this.remember(span);
    this.db?.add(span);
    for (const follow of this.followers) follow(span);
  }

  private remember(span: SpanData): void {
    this.spans.push(span);
    this.bytes += spanBytes(span);
    while (this.spans.length - this.head > MAX_SPANS || this.bytes > MAX_SPAN_BYTES) {
      this.bytes -= spanBytes(this.spans[this.head]!);
      this.spans[this.head++] = undefined as never;
    }
    if (this.head > 4096 && this.head * 2 > this.spans.length) {
      this.spans.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The `limit` latest spans, oldest first. */
  recent(limit: number): SpanData[] {
    return this.spans.slice(Math.max(this.head, this.spans.length - limit));
  }

  /** A trace's spans: from the history when there is one (older than what memory keeps), else from memory. */
  trace(traceId: string): SpanData[] {
    if (this.db) return this.db.trace(traceId);
    const out: SpanData[] = [];
    for (let i = this.head; i < this.spans.length; i++) if (this.spans[i]!.trace_id === traceId) out.push(this.spans[i]!);
    return out;
  }

  get size(): number {
    return this.spans.length - this.head;
  }
}
