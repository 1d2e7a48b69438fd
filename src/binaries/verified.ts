/**
 * A memo of cached binaries whose SHA-256 was checked, keyed by what any write to the file changes
 * (device, inode, size, mtime and ctime in nanoseconds; ctime cannot be set back by a user).
 * While that key is unchanged the file is the one that was hashed, so `loom up` skips re-hashing
 * it (about 100 ms for a 55 MB runtime); any change, and it is hashed again. The same trust as
 * checksums.txt beside it: whoever can rewrite the cache can rewrite both.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "pathe";
import { writeFileAtomic } from "./cache";

export const VERIFIED_FILE = "verified.json";

type Memo = Record<string, { key: string; sha256: string }>;

function statKey(path: string): string | undefined {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : undefined;
}

function readMemo(dir: string): Memo {
  const path = join(dir, VERIFIED_FILE);
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Memo) : {};
  } catch {
    return {};
  }
}

/** True when `file` was hashed to `sha256` and has not changed since. */
export function verifiedUnchanged(dir: string, file: string, sha256: string): boolean {
  const memo = readMemo(dir)[file];
  return memo !== undefined && memo.sha256 === sha256 && memo.key === statKey(join(dir, file));
}

export function rememberVerified(dir: string, file: string, sha256: string): void {
  const key = statKey(join(dir, file));
  if (!key) return;
  const memo = readMemo(dir);
  memo[file] = { key, sha256 };
  try {
    writeFileAtomic(join(dir, VERIFIED_FILE), JSON.stringify(memo) + "\n");
  } catch {
    // a read-only cache only loses the memo
  }
}
