/**
 * One loom per project: an exclusive flock(2) on `.loom/lock`, taken before anything starts and
 * held by the supervisor for its whole life. The kernel drops it when the holder dies, so there is
 * no stale lock to judge, and (Linux) `/proc/locks` names the holder: `loom down` and `loom status`
 * find the supervisor (or a `loom up` still starting) from the system even when the ledger is
 * damaged. Where flock cannot be loaded (Windows) the lock is not enforced (docs/security.md).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from "node:fs";
import { join } from "pathe";
import { privateDir, writeError } from "../files/private";
import { LOCK_EX, LOCK_NB, LOCK_SH, flock, libc } from "../system/libc";
import { STATE_DIR } from "../constants";

export const LOCK_FILE = "lock";

export interface ProjectLock {
  /** The descriptor holding the flock (handed to a detached supervisor, which keeps it). */
  fd: number;
  release(): void;
}

const lockPath = (root: string) => join(root, STATE_DIR, LOCK_FILE);

/** Takes the project's lock, or returns undefined when another process holds it. */
export function tryLockProject(root: string): ProjectLock | undefined {
  privateDir(join(root, STATE_DIR), "loom's state directory");
  const path = lockPath(root);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    throw writeError(path, error);
  }
  if (!libc()) return { fd, release: () => closeSync(fd) };
  if (!flock(fd, LOCK_EX | LOCK_NB)) {
    closeSync(fd);
    return undefined;
  }
  let held = true;
  return {
    fd,
    release() {
      if (held) closeSync(fd); // closing the last descriptor drops the flock
      held = false;
    },
  };
}

/**
 * The lock a parent process handed over as descriptor `fd` (a detached start): used only when it
 * is this project's lock file and the lock is held through it, so no other start can slip in
 * between the parent's check and the child's.
 */
export function adoptLock(root: string, fd: number): ProjectLock | undefined {
  try {
    const held = fstatSync(fd, { bigint: true });
    const file = lstatSync(lockPath(root), { bigint: true });
    if (!file.isFile() || held.dev !== file.dev || held.ino !== file.ino) return undefined;
  } catch {
    return undefined;
  }
  // The kernel names the process that took a lock in /proc/locks (lockHolder): converting it to
  // shared and back makes this process its holder, never letting go of it in between.
  if (libc() && !(flock(fd, LOCK_SH | LOCK_NB) && flock(fd, LOCK_EX | LOCK_NB))) return undefined;
  let held = true;
  return {
    fd,
    release() {
      if (held) closeSync(fd);
      held = false;
    },
  };
}

/**
 * Whether some process holds the project's lock, asked of the kernel with a non-blocking try
 * (released at once). True also when its holder cannot be seen from here (another pid
 * namespace): such a project is alive, and its ledger is not ours to remove.
 */
export function lockHeld(root: string): boolean {
  if (!libc()) return false;
  let fd: number;
  try {
    fd = openSync(lockPath(root), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return false;
  }
  try {
    return !flock(fd, LOCK_SH | LOCK_NB);
  } finally {
    closeSync(fd); // drops the shared lock if it was taken
  }
}

/** Linux: the pid holding the project's lock, read from /proc/locks; undefined when free. */
export function lockHolder(root: string): number | undefined {
  if (process.platform !== "linux") return undefined;
  let id: string;
  try {
    const st = lstatSync(lockPath(root), { bigint: true });
    if (!st.isFile()) return undefined;
    // st_dev as the kernel prints it: major and minor in hex, then the inode.
    const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
    const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
    id = `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}:${st.ino}`;
  } catch {
    return undefined;
  }
  let table = "";
  try {
    table = readFileSync("/proc/locks", "utf8");
  } catch {
    return undefined;
  }
  // "1: FLOCK  ADVISORY  WRITE 6031 fe:00:2155007 0 EOF"; waiters are marked "->" and skipped.
  for (const line of table.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== "FLOCK") continue;
    const [, , , , pid, dev] = f;
    if (dev === id && Number(pid) > 1) return Number(pid);
  }
  return undefined;
}
