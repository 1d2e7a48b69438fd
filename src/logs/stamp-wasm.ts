/**
 * Puts a time stamp before each line of a chunk, in WebAssembly. Measured (docs/benchmarks.md,
 * "Log throughput"): every JavaScript form of it (Buffer.indexOf + copy per line, TypedArray.set,
 * a byte loop, latin1 replaceAll, writev of line slices) stamped at 0.2–0.7 GB/s, the cost being
 * a native call or two per line; this one at 4.8–6.7 GB/s, a line costing a few 16-byte loads
 * and stores and no call. The module is small enough to write down as bytes: one function,
 *
 *   stamp(in, len, out, stamp, stampLen, atLineStart) -> outEnd   (global atLineStart after)
 *
 * copying [in, in+len) to out with the stamp at `stamp` before each line that starts there.
 */

const I32 = 0x7f;
const V128 = 0x7b;
const [BLOCK, LOOP, IF, END, BR, BR_IF] = [0x02, 0x03, 0x04, 0x0b, 0x0c, 0x0d];
const [GET, SET, TEE, GLOBAL_SET] = [0x20, 0x21, 0x22, 0x24];
const [CONST, ADD, EQ, NE, GE_U, LE_U, CTZ, LOAD8_U, STORE8] = [0x41, 0x6a, 0x46, 0x47, 0x4f, 0x4d, 0x68, 0x2d, 0x3a];
const MEMARG = [0x00, 0x00]; // align 1, offset 0
const V128_LOAD = [0xfd, 0x00, ...MEMARG];
const V128_STORE = [0xfd, 0x0b, ...MEMARG];
const [SPLAT8, EQ8, BITMASK8] = [
  [0xfd, 0x0f],
  [0xfd, 0x23],
  [0xfd, 0x64],
];
// Locals: params 0..5, then end, mask, byte (i32) and newlines, stamp1, stamp2, block (v128).
const [IN, LEN, OUT, STAMP, STAMP_LEN, START, INPUT_END, MASK, BYTE, NEWLINES, STAMP1, STAMP2, BLOCK16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const VOID = 0x40;
const LOCALS = [0x02, 0x03, I32, 0x04, V128];

/**
 * Each 16 bytes are loaded, stored at `out` whole and compared with "\n"; `out` and `in` then
 * move past the first newline only (the bytes stored beyond it are overwritten next), so a line
 * costs no call. The stamp (at most 32 bytes) is two 16-byte stores. Bytes past the last full 16
 * go one at a time. `out` needs 32 bytes of room past the result.
 */
function body(): number[] {
  return [
    ...[GET, IN, GET, LEN, ADD, SET, INPUT_END],
    ...[CONST, 10, ...SPLAT8, SET, NEWLINES],
    ...[GET, STAMP, ...V128_LOAD, SET, STAMP1, GET, STAMP, CONST, 16, ADD, ...V128_LOAD, SET, STAMP2],
    ...[BLOCK, VOID, LOOP, VOID],
    ...[GET, IN, GET, INPUT_END, GE_U, BR_IF, 1],
    ...[GET, START, IF, VOID, GET, OUT, GET, STAMP1, ...V128_STORE, GET, OUT, CONST, 16, ADD, GET, STAMP2, ...V128_STORE],
    ...[GET, OUT, GET, STAMP_LEN, ADD, SET, OUT, CONST, 0, SET, START, END],
    ...[GET, IN, CONST, 16, ADD, GET, INPUT_END, LE_U, IF, VOID],
    ...[GET, OUT, GET, IN, ...V128_LOAD, TEE, BLOCK16, ...V128_STORE],
    ...[GET, BLOCK16, GET, NEWLINES, ...EQ8, ...BITMASK8, TEE, MASK, CONST, 0, NE, IF, VOID],
    ...[GET, MASK, CTZ, CONST, 1, ADD, SET, MASK, GET, IN, GET, MASK, ADD, SET, IN, GET, OUT, GET, MASK, ADD, SET, OUT, CONST, 1, SET, START, BR, 2, END],
    ...[GET, IN, CONST, 16, ADD, SET, IN, GET, OUT, CONST, 16, ADD, SET, OUT, BR, 1, END],
    ...[GET, OUT, GET, IN, LOAD8_U, ...MEMARG, TEE, BYTE, STORE8, ...MEMARG],
    ...[GET, IN, CONST, 1, ADD, SET, IN, GET, OUT, CONST, 1, ADD, SET, OUT, GET, BYTE, CONST, 10, EQ, SET, START, BR, 0],
    ...[END, END],
    ...[GET, START, GLOBAL_SET, 0, GET, OUT, END],
  ];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const code = [...LOCALS, ...body()];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 1, I32]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(6, [1, I32, 0x01, CONST, 0, END]),
    ...section(7, [3, ...name("stamp"), 0x00, 0, ...name("memory"), 0x02, 0, ...name("atLineStart"), 0x03, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

interface Exports {
  memory: WebAssembly.Memory;
  stamp(input: number, length: number, out: number, stamp: number, stampLength: number, atLineStart: number): number;
  atLineStart: WebAssembly.Global;
}

/** Input is stamped in slices of this many bytes, so the module's memory stays bounded. */
const SLICE = 64 * 1024;
const STAMP_AT = 0;
const INPUT_AT = 64;
const OUTPUT_AT = INPUT_AT + SLICE;
/** Every byte a newline, each with a stamp of at most 32 bytes, and the 32 bytes of room. */
const PAGES = Math.ceil((OUTPUT_AT + SLICE * 33 + 32) / 65_536);

/** The instance's exports, checked to be the ones this module declares (the bytes are ours, the check is cheap). */
function exportsOf(wasm: WebAssembly.Instance): Exports {
  const { memory, stamp, atLineStart } = wasm.exports;
  if (!(memory instanceof WebAssembly.Memory) || typeof stamp !== "function" || !(atLineStart instanceof WebAssembly.Global))
    throw new Error("the stamping module does not export memory, stamp and atLineStart");
  return { memory, stamp: stamp as Exports["stamp"], atLineStart };
}

let compiled: WebAssembly.Module | undefined;
let instance: Exports | null | undefined;

/** The module, instantiated once per process; null where WebAssembly SIMD is not available. */
function stamper(): Exports | null {
  if (instance !== undefined) return instance;
  try {
    compiled ??= new WebAssembly.Module(moduleBytes());
    instance = exportsOf(new WebAssembly.Instance(compiled));
    instance.memory.grow(PAGES - 1);
  } catch {
    instance = null;
  }
  return instance;
}

/**
 * Hands `emit` the bytes of `input` with `stamp` (at most 32 bytes) before each line that starts
 * in it (the first one too when `atLineStart`), in one or more pieces that are valid only during
 * the call. Returns whether the next byte starts a line. Undefined where WebAssembly is missing.
 */
export function stampLinesWasm(input: Uint8Array, stamp: Uint8Array, atLineStart: boolean, emit: (bytes: Uint8Array) => void): boolean | undefined {
  const w = stamper();
  if (!w || stamp.length > 32) return undefined;
  const memory = new Uint8Array(w.memory.buffer);
  memory.set(stamp, STAMP_AT);
  let start = atLineStart ? 1 : 0;
  for (let at = 0; at < input.length; at += SLICE) {
    const part = input.subarray(at, at + SLICE);
    memory.set(part, INPUT_AT);
    const end = w.stamp(INPUT_AT, part.length, OUTPUT_AT, STAMP_AT, stamp.length, start);
    start = w.atLineStart.value as number;
    emit(memory.subarray(OUTPUT_AT, end));
  }
  return start === 1;
}
