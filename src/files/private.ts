/**
 * Where loom writes its own state (`.loom/`, the registry): private directories (0700, whatever
 * the umask) that must be real directories of the user's, and files that are never written through
 * a symlink planted in them: opened with O_NOFOLLOW, or written to a fresh O_EXCL temporary file
 * and renamed into place.
 */
import { randomHex } from "../system/random";
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { LoomError } from "../errors";
import { distrust } from "./trust";

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Creates `dir` (0700) or checks the one there: a directory, not a symlink, the user's own. */
export function privateDir(dir: string, what = "directory"): string {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw writeError(dir, error);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new LoomError("CONFIG", `refusing to use ${what} ${dir}: it is ${st.isSymbolicLink() ? "a symbolic link" : "not a directory"}`, {
      hint: `loom keeps private state there and never follows a link; remove it (\`rm ${dir}\`) and run again`,
    });
  const why = distrust(st);
  if (why) throw new LoomError("CONFIG", `refusing to use ${what} ${dir}: ${why}`, { hint: `remove it or make it yours: \`chmod 700 ${dir}\`` });
  if (process.platform !== "win32" && (st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  return dir;
}

/** Opens `path` for appending (created 0600), refusing a symlink in its place. */
export function openAppendNoFollow(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW, 0o600);
  } catch (error) {
    throw writeError(path, error);
  }
}

/** Replaces `path` with `content`: a fresh O_EXCL temporary file (0600) renamed over it. */
export function writePrivateFile(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.${randomHex(6)}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
  } catch (error) {
    throw writeError(path, error);
  }
  try {
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    closeSync(fd);
    renameSync(tmp, path); // rename replaces a symlink itself, never its target
  } catch (error) {
    try {
      closeSync(fd);
    } catch {}
    rmSync(tmp, { force: true });
    throw writeError(path, error);
  }
}

/**
 * Reads and removes a one-shot JSON note that another loom process left (a stop request, a stop
 * report): only a regular file of the user's counts; anything else, or bad JSON, is undefined.
 */
export function takePrivateJson(path: string): Record<string, unknown> | undefined {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st?.isFile() || distrust(st)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, "utf8"));
    return value && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(path, { force: true });
  }
}

/** A write that failed: a symlink in the way is refused by name; a full disk says so. */
export function writeError(path: string, error: unknown): LoomError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ELOOP" || code === "EMLINK")
    return new LoomError("CONFIG", `refusing to write ${path}: it is a symbolic link`, {
      hint: `loom never writes through a link in its state directory; remove it (\`rm ${path}\`)`,
      cause: error,
    });
  if (code === "ENOSPC" || code === "EDQUOT") return new LoomError("PROCESS", `cannot write ${path}: the disk is full`, { hint: "free some space and run again", cause: error });
  if (code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new LoomError("CONFIG", `cannot write ${path} (${code})`, { hint: "check that the directory is yours and writable", cause: error });
  return new LoomError("PROCESS", `cannot write ${path} (${code ?? (error as Error).message})`, { cause: error });
}
