/**
 * Reading a small text file that a user (or a cloned repository) provides: loom.toml, .env.
 * Opened without blocking (a FIFO must not hang loom), checked on the open descriptor (a regular
 * file, trusted, at most MAX_TEXT_BYTES), decoded as strict UTF-8 with the position of a bad byte.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { LoomError } from "../errors";
import { assertTrusted } from "./trust";

export const MAX_TEXT_BYTES = 1024 * 1024;

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** Line and column (1-based, in characters) of byte `offset`. */
function position(bytes: Uint8Array, offset: number): { line: number; column: number } {
  const before = new TextDecoder().decode(bytes.subarray(0, offset));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

/** The offset of the first byte that is not valid UTF-8, or -1. */
function invalidUtf8At(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= bytes.length || (bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return 0;
}

export function readTextFile(path: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LoomError("CONFIG", `cannot read ${what} ${path} (${code})`, { hint: "check that the file exists and that you may read it", cause: error });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new LoomError("CONFIG", `cannot read ${what} ${path}: it is ${kindOf(st)}`, { hint: `${what} must be a regular file` });
    assertTrusted(path, st, what);
    if (st.size > MAX_TEXT_BYTES)
      throw new LoomError("CONFIG", `${what} ${path} is ${(st.size / 1024 / 1024).toFixed(1)} MB; loom reads at most 1 MB`, { hint: "is this the right file?" });
    const bytes = new Uint8Array(st.size);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, null);
      if (n === 0) break;
      got += n;
    }
    const view = bytes.subarray(0, got);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(view);
    } catch {
      const at = invalidUtf8At(view);
      const { line, column } = position(view, Math.max(at, 0));
      throw new LoomError("CONFIG", `${path}:${line}:${column}: ${what} is not valid UTF-8 (byte 0x${view[at]?.toString(16).padStart(2, "0")})`, {
        hint: "save the file as UTF-8",
      });
    }
  } finally {
    closeSync(fd);
  }
}
