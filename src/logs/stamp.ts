/**
 * Puts a time stamp before each line of a chunk, in JavaScript: the reference for stamp-wasm.ts
 * (its property test compares the two) and the fallback where WebAssembly is missing. One
 * allocation for the output: the lines are counted first.
 */
export function stampLines(data: Uint8Array, stamp: Uint8Array, atLineStart: boolean, emit: (bytes: Uint8Array) => void): boolean {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (input.length === 0) return atLineStart;
  let starts = atLineStart ? 1 : 0;
  for (let i = input.indexOf(10); i >= 0 && i < input.length - 1; i = input.indexOf(10, i + 1)) starts++;
  if (starts === 0) {
    emit(input);
    return input[input.length - 1] === 10;
  }
  const out = Buffer.allocUnsafe(input.length + starts * stamp.length);
  let at = 0;
  let o = 0;
  let lineStart = atLineStart;
  while (at < input.length) {
    if (lineStart) {
      out.set(stamp, o);
      o += stamp.length;
    }
    const newline = input.indexOf(10, at);
    const end = newline < 0 ? input.length : newline + 1;
    o += input.copy(out, o, at, end);
    lineStart = newline >= 0;
    at = end;
  }
  emit(out);
  return lineStart;
}
