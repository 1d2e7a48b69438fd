/**
 * The span store's history on disk (docs/dashboard.md "History, the terminal and the page"): `.loom/traces.db`
 * (files/sqlite.ts), so traces outlive `loom restart --runtime` and the next `loom run`. Spans are
 * written in batches, every FLUSH_MS or when a trace is read, never on the path that publishes.
 * What waits is bounded in count and bytes (MAX_WAITING, MAX_WAITING_BYTES).
 * Bounded by the live bytes of the database (LOOM_TRACES_MAX_BYTES, 64 MB) and by age
 * (LOOM_TRACES_MAX_AGE_MS, 7 days): the oldest spans go first. Spans waiting to be written are
 * bounded too (the oldest of them are dropped and counted).
 */
import type { Database, Statement } from "bun:sqlite";
import { openDatabase } from "../files/sqlite";
import { type SpanData, spanBytes } from "./spans";

const FLUSH_MS = 250;
const MAX_WAITING = 50_000;
/** Spans waiting to be written, in bytes: a flood of large received spans within one FLUSH_MS. */
const MAX_WAITING_BYTES = 16 * 1024 * 1024;
const SCHEMA = `CREATE TABLE IF NOT EXISTS spans (
  trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT, name TEXT NOT NULL,
  start_time INTEGER NOT NULL, duration INTEGER NOT NULL, attributes TEXT NOT NULL,
  status TEXT NOT NULL, error_message TEXT);
CREATE INDEX IF NOT EXISTS spans_trace ON spans (trace_id);`;

const COLUMNS = "trace_id, span_id, parent_span_id, name, start_time, duration, attributes, status, error_message";

interface Row extends Omit<SpanData, "attributes"> {
  attributes: string;
}
const fromRow = (r: Row): SpanData => ({ ...r, attributes: JSON.parse(r.attributes) });

export interface SpanDbLimits {
  maxBytes: number;
  maxAgeMs: number;
}

export class SpanDb {
  private readonly db: Database;
  private readonly usedBytes: () => number;
  private readonly insert: Statement;
  private waiting: SpanData[] = [];
  private waitingBytes = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private lastAgeCheck = 0;
  dropped = 0;
  pruned = 0;

  constructor(
    path: string,
    private readonly limits: SpanDbLimits,
  ) {
    ({ db: this.db, usedBytes: this.usedBytes } = openDatabase(path, "the trace history"));
    this.db.run(SCHEMA);
    this.insert = this.db.prepare(`INSERT INTO spans (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref?.();
  }

  add(span: SpanData): void {
    this.waiting.push(span);
    this.waitingBytes += spanBytes(span);
    if (this.waiting.length <= MAX_WAITING && this.waitingBytes <= MAX_WAITING_BYTES) return;
    // The oldest tenth goes (counted): a stalled disk never holds more than the bounds.
    const gone = this.waiting.splice(0, Math.ceil(this.waiting.length / 10));
    this.dropped += gone.length;
    for (const g of gone) this.waitingBytes -= spanBytes(g);
  }

  /** Writes what waits in one transaction, then keeps the bounds. */
  flush(): void {
    if (this.waiting.length) {
      const batch = this.waiting;
      this.waiting = [];
      this.waitingBytes = 0;
      this.db.transaction(() => {
        for (const s of batch) this.insert.run(s.trace_id, s.span_id, s.parent_span_id, s.name, s.start_time, s.duration, JSON.stringify(s.attributes), s.status, s.error_message);
      })();
      this.bound();
    }
  }

  private bound(): void {
    const now = Date.now();
    if (now - this.lastAgeCheck > 60_000) {
      this.lastAgeCheck = now;
      this.pruned += this.db.run("DELETE FROM spans WHERE start_time < ?", [(now - this.limits.maxAgeMs) * 1e6]).changes;
    }
    // A tenth of the rows at a time, oldest first, until the live pages fit (freed pages are reused).
    while (this.usedBytes() > this.limits.maxBytes) {
      const rows = this.db.query<{ n: number }, []>("SELECT count(*) AS n FROM spans").get()!.n;
      if (rows === 0) break;
      this.pruned += this.db.run("DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans ORDER BY rowid LIMIT ?)", [Math.max(1, Math.ceil(rows / 10))]).changes;
    }
  }

  /** The `limit` latest spans, oldest first (what the store starts with). */
  latest(limit: number): SpanData[] {
    return this.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM (SELECT rowid AS r, * FROM spans ORDER BY rowid DESC LIMIT ?) ORDER BY r`).all(limit).map(fromRow);
  }

  trace(traceId: string): SpanData[] {
    this.flush();
    return this.db.query<Row, [string]>(`SELECT ${COLUMNS} FROM spans WHERE trace_id = ? ORDER BY rowid`).all(traceId).map(fromRow);
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.db.close();
  }
}
