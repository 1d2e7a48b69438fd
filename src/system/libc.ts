/**
 * The few libc calls Bun and Node do not offer: flock(2) for locks the kernel releases when their
 * holder dies, prctl(PR_SET_CHILD_SUBREAPER) so orphaned descendants are re-parented to the
 * supervisor, waitpid(2) to reap those orphans, and madvise(2) to hand back pages of the
 * executable that only start-up used. Loaded lazily through bun:ffi; where libc
 * cannot be opened (Windows), `libc()` is undefined and callers fall back (docs/security.md).
 */
import { type FFIFunction, FFIType, dlopen } from "bun:ffi";
import { readFileSync } from "node:fs";

const SYMBOLS = {
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  madvise: { args: [FFIType.u64, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
} as const;

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const MADV_PAGEOUT = 21;

function candidates(): string[] {
  if (process.platform === "darwin") return ["libSystem.B.dylib"];
  if (process.platform === "linux") {
    const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
    return ["libc.so.6", `libc.musl-${arch}.so.1`, "libc.so"];
  }
  return [];
}

/** The C library with `symbols` bound, or undefined where it cannot be opened (or lacks one of them). */
export function openLibc<S extends Record<string, FFIFunction>>(symbols: S): ReturnType<typeof dlopen<S>>["symbols"] | undefined {
  for (const name of candidates())
    try {
      return dlopen(name, symbols).symbols;
    } catch {}
  return undefined;
}

type Libc = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
let loaded: Libc | null | undefined;

export function libc(): Libc | undefined {
  if (loaded === undefined) loaded = openLibc(SYMBOLS) ?? null;
  return loaded ?? undefined;
}

/** flock(fd, op): true when taken; false when another holds it (LOCK_NB) or libc is missing. */
export function flock(fd: number, op: number): boolean {
  const c = libc();
  return c ? c.flock(fd, op) === 0 : false;
}

/** Linux: this process adopts orphaned descendants instead of init. */
export function becomeSubreaper(): boolean {
  if (process.platform !== "linux") return false;
  const c = libc();
  return c ? c.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0 : false;
}

/** Reaps `pid` if it has exited (an adopted orphan; never a child Bun spawned and waits for). */
export function reap(pid: number): boolean {
  const c = libc();
  return c ? c.waitpid(pid, null, WNOHANG) === pid : false;
}

/**
 * Linux 5.4+: hands the file-backed pages of this process (the loom executable, shared libraries)
 * back to the kernel. The supervisor touched most of its 110 MB executable while starting (CLI,
 * TOML, downloads, TLS) and never runs that code again; what it does use is faulted back in.
 * Kept because it lowers what the process tree needs, not only RSS: at 50 agents, USS -2 MB and
 * the tree's PSS -4 MB (docs/benchmarks.md, bench/peers-memory.ts). Returns the mappings advised.
 */
export function releaseFilePages(): number {
  // LOOM_PAGEOUT=0 keeps them: bench/peers-memory.ts measures what handing them back changes.
  if (process.platform !== "linux" || process.env.LOOM_PAGEOUT === "0") return 0;
  const c = libc();
  if (!c) return 0;
  let advised = 0;
  let maps = "";
  try {
    maps = readFileSync("/proc/self/maps", "utf8");
  } catch {
    return 0;
  }
  for (const line of maps.split("\n")) {
    const [range, , , , inode, path] = line.split(/\s+/);
    if (!range || !path?.startsWith("/") || inode === "0") continue;
    const [start, end] = range.split("-").map((x) => BigInt(`0x${x}`));
    if (c.madvise(start!, end! - start!, MADV_PAGEOUT) === 0) advised++;
  }
  return advised;
}
