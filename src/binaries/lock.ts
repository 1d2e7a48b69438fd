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

function ownerAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isStale(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return true;
  return Date.now() - stat.mtimeMs > STALE_LOCK_MS || !ownerAlive(path);
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
