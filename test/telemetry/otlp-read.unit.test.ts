/** What the OTLP receiver keeps of a span a sender writes, and what waits for the history: bounded in bytes. */
import { expect, test } from "bun:test";
import { join } from "pathe";
import { spansOf, traceRequest } from "../../src/telemetry/otlp-read";
import { SpanDb } from "../../src/telemetry/span-db";
import { tempDir } from "../helpers/tmp";

const big = (i: number) => ({
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: (i + 1).toString(16).padStart(16, "0"),
  name: "n".repeat(10_000),
  attributes: Array.from({ length: 500 }, (_, k) => ({ key: `k${k}`.repeat(100), value: { stringValue: "v".repeat(10_000) } })),
});

test("a received span keeps at most 128 attributes, keys of 256 characters and 16 KB of values in all", () => {
  const { spans } = spansOf(traceRequest.parse({ resourceSpans: [{ scopeSpans: [{ spans: [big(0)] }] }] }));
  const s = spans[0]!;
  expect(s.name).toHaveLength(256);
  expect(Object.keys(s.attributes).length).toBeLessThanOrEqual(128);
  expect(Object.keys(s.attributes).every((k) => k.length <= 256)).toBe(true);
  expect(Object.values(s.attributes).reduce((n, v) => n + v.length, 0)).toBeLessThanOrEqual(16_384);
});

test("spans waiting for the history are bounded in bytes: a flood of large ones drops the oldest, counted", () => {
  const db = new SpanDb(join(tempDir(), "traces.db"), { maxBytes: 1 << 30, maxAgeMs: 86_400_000 });
  const { spans } = spansOf(traceRequest.parse({ resourceSpans: [{ scopeSpans: [{ spans: [big(0)] }] }] }));
  for (let i = 0; i < 3_000; i++) db.add({ ...spans[0]!, span_id: (i + 1).toString(16).padStart(16, "0") }); // ~50 MB offered, no flush between
  expect(db.dropped).toBeGreaterThan(0);
  db.close();
});
