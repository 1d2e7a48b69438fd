/**
 * A cross-process lock for the cache: the lock file is created exclusively and holds the owner's
 * pid. A lock whose owner is gone (or which is older than STALE_LOCK_MS) is taken over, so a
 * killed `loom install` never blocks the next one.
 */
import { openSync, closeSync, writeSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "pathe";
import { LoomError } from "../errors";

export const STALE_LOCK_MS = 10 * 60_000;
const POLL_MS = 50;

/** A lock file is created, then its pid written: for a moment it is empty but not abandoned. */
const FRESH_LOCK_MS = 5_000;

function ownerAlive(path: string, ageMs: number): boolean {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    if (!pid) return ageMs < FRESH_LOCK_MS;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isStale(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return true;
  const age = Date.now() - stat.mtimeMs;
  return age > STALE_LOCK_MS || !ownerAlive(path, age);
}

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs?: number;
  onWait?: () => void;
}

export async function withLock<T>(dir: string, name: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const path = join(dir, `.lock-${name}`);
  const deadline = Date.now() + (options.timeoutMs ?? STALE_LOCK_MS);
  let waited = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (isStale(path)) {
        try {
          unlinkSync(path);
        } catch {}
        continue;
      }
      if (!waited) options.onWait?.();
      waited = true;
      if (Date.now() > deadline)
        throw new LoomError("DOWNLOAD", `another loom process holds ${path}`, { hint: "wait for it to finish, or remove the lock file if no loom is running" });
      await Bun.sleep(POLL_MS);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {}
  }
}
