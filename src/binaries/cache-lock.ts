/**
 * A cross-process lock for the cache: flock(2) on `.lock-<name>` (system/libc.ts). The kernel
 * releases it when its holder exits or is killed, so there is no stale lock to judge and no
 * takeover race (the pid-file lock this replaces let two installs hold it at once in 2 of 55
 * trials). Where flock cannot be loaded (Windows) installs are not serialised; each still writes
 * its own temporary directory and renames, so the cache is never half-written (docs/security.md).
 */
import { closeSync, constants, openSync } from "node:fs";
import { join } from "pathe";
import { LoomError } from "../errors";
import { cacheWriteError } from "./cache";
import { LOCK_EX, LOCK_NB, flock, libc } from "../system/libc";

export const LOCK_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 20;

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs?: number;
  onWait?: () => void;
}

export async function withLock<T>(dir: string, name: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const path = join(dir, `.lock-${name}`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    throw cacheWriteError(dir, error);
  }
  try {
    const deadline = Date.now() + (options.timeoutMs ?? LOCK_TIMEOUT_MS);
    let waited = false;
    while (libc() && !flock(fd, LOCK_EX | LOCK_NB)) {
      if (!waited) options.onWait?.();
      waited = true;
      if (Date.now() > deadline)
        throw new LoomError("DOWNLOAD", `another loom process has held ${path} for ${Math.round((options.timeoutMs ?? LOCK_TIMEOUT_MS) / 1000)}s`, {
          hint: "wait for it to finish (`loom install` in another terminal?), then run again",
        });
      await Bun.sleep(POLL_MS);
    }
    return await fn();
  } finally {
    closeSync(fd); // drops the lock
  }
}
