/**
 * The shared binary cache (docs/runtime-contract.md "Cache"): `<name>-v<version>-<platform>` files and
 * a `checksums.txt` with one `<hex>  <file name>` line per cached binary. Every write is a rename
 * of a finished temporary file, so a reader never sees half a binary or half a checksum list.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { LoomError } from "../errors";
import { assertTrusted } from "../files/trust";
import { homedir } from "node:os";
import { join } from "pathe";
import { PLATFORMS, exeName, type PlatformTag } from "./platform";
import { normalizeVersion } from "./release/versions";

export const CHECKSUMS_FILE = "checksums.txt";
export const RESOLVED_FILE = "resolved-versions.json";
/** Prefix of in-progress downloads and extractions; never a finished binary. */
export const TEMP_PREFIX = ".tmp-";

export type Env = Record<string, string | undefined>;

/** `LOOM_CACHE_DIR`, else `${XDG_CACHE_HOME:-$HOME/.cache}/loom/bin`. */
export function cacheDir(env: Env = process.env): string {
  if (env.LOOM_CACHE_DIR) return env.LOOM_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(base, "loom", "bin");
}

export function cachedFileName(name: string, version: string, tag: PlatformTag): string {
  return exeName(`${name}-v${normalizeVersion(version)}-${tag}`, tag);
}

export function binaryPath(name: string, version: string, tag: PlatformTag, env: Env = process.env): string {
  return join(cacheDir(env), cachedFileName(name, version, tag));
}

const ENTRY = new RegExp(`^(.+)-v(\\d+\\.\\d+\\.\\d+[^-]*(?:-[0-9A-Za-z.]+)?)-(${PLATFORMS.join("|")})(\\.exe)?$`);

export interface CacheEntry {
  file: string;
  path: string;
  name: string;
  version: string;
  platform: PlatformTag;
  size: number;
  sha256?: string;
}

export function parseCachedFileName(file: string): Omit<CacheEntry, "path" | "size" | "sha256"> | undefined {
  const m = ENTRY.exec(file);
  return m ? { file, name: m[1]!, version: m[2]!, platform: m[3] as PlatformTag } : undefined;
}

export function readChecksums(dir: string): Map<string, string> {
  const map = new Map<string, string>();
  const path = join(dir, CHECKSUMS_FILE);
  if (!existsSync(path)) return map;
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(line.trim());
    if (m) map.set(m[2]!.trim(), m[1]!.toLowerCase());
  }
  return map;
}

/** Atomic replace of a small file: write a temporary sibling, then rename it over. */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  const tmp = `${path}.${TEMP_PREFIX}${process.pid}-${Date.now()}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

export function writeChecksums(dir: string, map: Map<string, string>): void {
  const lines = [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([file, hex]) => `${hex}  ${file}`);
  writeFileAtomic(join(dir, CHECKSUMS_FILE), lines.length ? lines.join("\n") + "\n" : "");
}

/**
 * A shared cache is not a trusted cache: loom runs what it finds there, so the directory and its
 * checksums.txt must be the user's (or root's) and writable by no one else (files/trust.ts).
 */
export function assertTrustedCache(dir: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch {
    return; // not a directory, not reachable: creating it (ensureCacheDir) says why
  }
  if (!st) return;
  assertTrusted(dir, st, "the runtime cache");
  for (const name of [CHECKSUMS_FILE, "verified.json"]) {
    const file = join(dir, name);
    const f = lstatSync(file, { throwIfNoEntry: false });
    if (!f) continue;
    if (f.isSymbolicLink()) throw new LoomError("CONFIG", `refusing to use the runtime cache ${dir}: its ${name} is a symbolic link`, { hint: `remove ${file}; loom rebuilds it` });
    assertTrusted(file, f, `the runtime cache's`);
  }
}

export function ensureCacheDir(env: Env = process.env): string {
  const dir = cacheDir(env);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw cacheWriteError(dir, error);
  }
  assertTrustedCache(dir);
  return dir;
}

/** The cache cannot be written (read-only, not ours, full): exit 3 with the way out. */
export function cacheWriteError(dir: string, error: unknown): LoomError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new LoomError("DOWNLOAD", `cannot write the runtime cache ${dir} (${code})`, {
    hint: code === "ENOSPC" ? "free some disk space, or set LOOM_CACHE_DIR to another disk" : "set LOOM_CACHE_DIR to a directory you can write, or fix the permissions",
    cause: error,
  });
}

export function listCache(env: Env = process.env): CacheEntry[] {
  const dir = cacheDir(env);
  if (!existsSync(dir)) return [];
  const sums = readChecksums(dir);
  const out: CacheEntry[] = [];
  for (const file of readdirSync(dir)) {
    const parsed = parseCachedFileName(file);
    if (!parsed) continue;
    const path = join(dir, file);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile()) continue;
    out.push({ ...parsed, path, size: stat.size, sha256: sums.get(file) });
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** Removes one cached binary and its checksum line. Only names inside the cache dir are touched. */
export function removeCached(dir: string, file: string): void {
  if (file.includes("/") || file.includes("\\") || !parseCachedFileName(file)) throw new Error(`refusing to remove ${file}: not a cached binary name`);
  const sums = readChecksums(dir);
  try {
    unlinkSync(join(dir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (sums.delete(file)) writeChecksums(dir, sums);
}
