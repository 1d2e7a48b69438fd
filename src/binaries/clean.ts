/** `loom cache clean`: removes cached binaries by version, or everything loom put in the cache dir. */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "pathe";
import { CHECKSUMS_FILE, RESOLVED_FILE, TEMP_PREFIX, cacheDir, listCache, readChecksums, writeChecksums, type Env } from "./cache";
import { withLock } from "./cache-lock";
import { VERIFIED_FILE } from "./verified";
import { normalizeVersion } from "./release/versions";

export interface CleanResult {
  removed: string[];
  dir: string;
}

/**
 * Only names loom writes are removed (`<name>-v<version>-<platform>`, checksums.txt, its memo of
 * "latest", temporary files), each by its name inside the cache dir: a cache dir pointed at the
 * wrong place loses nothing else.
 */
export async function cleanCache(options: { version?: string; all?: boolean }, env: Env = process.env): Promise<CleanResult> {
  const dir = cacheDir(env);
  const result: CleanResult = { removed: [], dir };
  if (!existsSync(dir)) return result;
  const version = options.version ? normalizeVersion(options.version) : undefined;
  await withLock(dir, "install", async () => {
    const sums = readChecksums(dir);
    for (const entry of listCache(env)) {
      if (!options.all && entry.version !== version) continue;
      rmSync(entry.path, { force: true });
      sums.delete(entry.file);
      result.removed.push(entry.file);
    }
    if (options.all) {
      for (const f of readdirSync(dir))
        if (f === CHECKSUMS_FILE || f === RESOLVED_FILE || f === VERIFIED_FILE || f.startsWith(TEMP_PREFIX) || f.includes(`.${TEMP_PREFIX}`)) {
          rmSync(join(dir, f), { recursive: f.startsWith(TEMP_PREFIX), force: true });
          result.removed.push(f);
        }
    } else if (result.removed.length) writeChecksums(dir, sums);
  });
  return result;
}
