/**
 * The trace history on disk: spans outlive the store that wrote them, the database stays within
 * its bytes and age, and a file loom cannot trust or read is refused with its name and left as it was.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { SpanDb } from "../../src/telemetry/span-db";
import { type SpanData, SpanStore } from "../../src/telemetry/spans";
import { tempDir } from "../helpers/tmp";

const LIMITS = { maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000 };
const span = (trace: string, i: number, extra: Partial<SpanData> = {}): SpanData => ({
  trace_id: trace.padStart(32, "0"),
  span_id: i.toString(16).padStart(16, "0"),
  parent_span_id: null,
  name: "work",
  start_time: Date.now() * 1e6,
  duration: 1000,
  attributes: { topic: "t", "payload.note": "x".repeat(200) },
  status: "ok",
  error_message: null,
  ...extra,
});

describe("SpanDb", () => {
  test("a new store starts from what the last one kept; a trace is read whole, ids and attributes as written", () => {
    const path = join(tempDir(), "traces.db");
    const first = new SpanStore();
    const firstDb = new SpanDb(path, LIMITS);
    first.persist(firstDb);
    for (let i = 1; i <= 5; i++)
      first.record(span("a", i, { parent_span_id: i > 1 ? span("a", 1).span_id : null, status: i === 5 ? "error" : "ok", error_message: i === 5 ? "boom" : null }));
    first.record(span("b", 9));
    expect(first.trace("a".padStart(32, "0"))).toHaveLength(5); // read from the database: trace() writes what waits first
    firstDb.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const second = new SpanStore();
    second.persist(new SpanDb(path, LIMITS));
    expect(second.recent(100).map((s) => s.span_id)).toEqual([1, 2, 3, 4, 5, 9].map((i) => i.toString(16).padStart(16, "0")));
    const trace = second.trace("a".padStart(32, "0"));
    expect(trace[4]).toEqual(span("a", 5, { parent_span_id: span("a", 1).span_id, status: "error", error_message: "boom", start_time: trace[4]!.start_time }));
  });

  test("bounded: a flood keeps the database's live bytes under its limit, the newest kept; old spans age out", () => {
    const path = join(tempDir(), "traces.db");
    const db = new SpanDb(path, { maxBytes: 1024 * 1024, maxAgeMs: 60_000 });
    for (let i = 0; i < 30_000; i++) {
      db.add(span(String(i % 100), i + 1));
      if (i % 5_000 === 4_999) db.flush();
    }
    db.flush();
    const latest = db.latest(1_000_000);
    expect(latest.length).toBeGreaterThan(1_000);
    expect(latest.length).toBeLessThan(30_000);
    expect(latest.at(-1)!.span_id).toBe((30_000).toString(16).padStart(16, "0"));
    expect(db.pruned).toBeGreaterThan(0);
    db.close();
    const aged = new SpanDb(path, { maxBytes: 1024 * 1024, maxAgeMs: 60_000 });
    aged.add(span("z", 1, { start_time: (Date.now() - 120_000) * 1e6 }));
    aged.add(span("z", 2));
    aged.flush();
    expect(aged.trace("z".padStart(32, "0")).map((s) => s.span_id)).toEqual([span("z", 2).span_id]);
    aged.close();
  });

  test("a file that is not a database, a link, or one others may write is refused by name and left as it was", () => {
    const dir = tempDir();
    const garbage = join(dir, "garbage.db");
    writeFileSync(garbage, "not a database at all, but somebody's notes\n".repeat(100));
    expect(() => new SpanDb(garbage, LIMITS)).toThrow(/the trace history .*garbage\.db cannot be opened as a database/);
    expect(readFileSync(garbage, "utf8")).toStartWith("not a database at all");
    const link = join(dir, "link.db");
    symlinkSync(garbage, link);
    expect(() => new SpanDb(link, LIMITS)).toThrow(/link\.db is not a regular file/);
    const open = join(dir, "open.db");
    new SpanDb(open, LIMITS).close();
    chmodSync(open, 0o666);
    expect(() => new SpanDb(open, LIMITS)).toThrow(/open\.db cannot be trusted/);
  });
});
