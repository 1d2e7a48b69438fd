/**
 * Plain pipes and poll(2), through bun:ffi, for the log relay (logs/relay.ts). Bun gives a child
 * a socket pair for `stdout: "pipe"` and reads it into a fresh buffer each time; a relay that
 * reads into one buffer it reuses needs a real pipe and a way to wait on many of them, which
 * neither Bun nor Node offers (docs/benchmarks.md, "Log floods"). POSIX only: where libc cannot be
 * opened (Windows), `pipes()` is undefined and the caller reads Bun's streams instead.
 */
import { FFIType, ptr } from "bun:ffi";
import { openLibc } from "./libc";

const SYMBOLS = {
  pipe: { args: [FFIType.ptr], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
} as const;

// The same numbers on Linux and macOS.
const F_SETFD = 2;
const FD_CLOEXEC = 1;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
const F_SETPIPE_SZ = 1031; // Linux only

export interface Pipes {
  /** A pipe whose ends are closed on exec (a child gets one only as its stdout or stderr): [read, write]. */
  pipe(): [number, number];
  /** Linux: asks for a pipe of `bytes` (false when refused, or elsewhere). */
  grow(fd: number, bytes: number): boolean;
  /** poll(2) on `fds` (8 bytes each: fd, events, revents); the number ready, -1 on error. */
  poll(fds: Int32Array, count: number, timeoutMs: number): number;
}

let loaded: Pipes | null | undefined;

export function pipes(): Pipes | undefined {
  if (loaded === undefined) loaded = bind() ?? null;
  return loaded ?? undefined;
}

function bind(): Pipes | undefined {
  if (process.platform === "win32") return undefined;
  const c = openLibc(SYMBOLS);
  if (!c) return undefined;
  const pair = new Int32Array(2);
  return {
    pipe() {
      if (c.pipe(ptr(pair)) !== 0) throw new Error("pipe(2) failed: too many open files?");
      const [read, write] = [pair[0]!, pair[1]!];
      // Both ends at once, before anything else spawns in this thread: no child inherits them.
      c.fcntl(read, F_SETFD, FD_CLOEXEC);
      c.fcntl(write, F_SETFD, FD_CLOEXEC);
      return [read, write];
    },
    grow(fd, bytes) {
      return process.platform === "linux" && c.fcntl(fd, F_SETPIPE_SZ, bytes) >= bytes;
    },
    poll(fds, count, timeoutMs) {
      return c.poll(ptr(fds), count, timeoutMs);
    },
  };
}
