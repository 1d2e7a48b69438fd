/** The WebAssembly line stamper against the JavaScript one, on generated chunks (issue 20). */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { stampLines } from "../../src/logs/stamp";
import { stampLinesWasm } from "../../src/logs/stamp-wasm";

function collect(run: (emit: (b: Uint8Array) => void) => boolean | undefined): { bytes: Buffer; atLineStart: boolean | undefined } {
  const parts: Buffer[] = [];
  const atLineStart = run((b) => parts.push(Buffer.from(b))); // a copy: the pieces are valid only during the call
  return { bytes: Buffer.concat(parts), atLineStart };
}

const chunk = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(fc.oneof(fc.constant("\n"), fc.string({ maxLength: 40 })), { maxLength: 30 }).map((parts) => new TextEncoder().encode(parts.join(""))),
);

test("WebAssembly and JavaScript stamp every line the same, whatever the bytes, the stamp and where a line began", () => {
  fc.assert(
    fc.property(chunk, fc.uint8Array({ maxLength: 32 }), fc.boolean(), (input, stamp, atLineStart) => {
      const wasm = collect((emit) => stampLinesWasm(input, stamp, atLineStart, emit));
      const js = collect((emit) => stampLines(input, stamp, atLineStart, emit));
      expect(wasm.atLineStart).toBe(js.atLineStart);
      expect(wasm.bytes.equals(js.bytes)).toBe(true);
    }),
    { numRuns: 3_000 },
  );
});

test("a chunk larger than the module's slice (64 KiB) keeps its lines whole and stamped once each", () => {
  const line = `${"x".repeat(99)}\n`;
  const input = new TextEncoder().encode(line.repeat(2_000)); // 200 KB: lines cross the slice edges
  const stamp = new TextEncoder().encode("2026-12-07T00:00:00.000Z ");
  const out = collect((emit) => stampLinesWasm(input, stamp, true, emit));
  expect(out.atLineStart).toBe(true);
  expect(out.bytes.toString()).toBe(`2026-12-07T00:00:00.000Z ${line}`.repeat(2_000));
});
