/**
 * Turning `latest` into a concrete version: GitHub's latest release, or `<mirror>/latest.txt`.
 * The answer is remembered for a day in the cache; offline, the newest cached version is used. A
 * lookup that could not reach its source is remembered too, for LATEST_FAILURE_TTL_MS, so an
 * offline `loom run` does not ask again on every start (`loom install` and --force-download do).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "pathe";
import { LoomError } from "../../errors";
import { RESOLVED_FILE, cacheDir, ensureCacheDir, listCache, writeFileAtomic, type Env } from "../cache";
import { GITHUB_API_LATEST, fetchText, isMirror, releaseBase, type HttpDeps, UNREACHABLE } from "./http";
import type { PlatformTag } from "../platform";
import { compareVersions, normalizeVersion } from "./versions";

export const LATEST_TTL_MS = 24 * 60 * 60_000;
export const LATEST_FAILURE_TTL_MS = 10 * 60_000;

interface Remembered {
  [source: string]: { version?: string; at: number; failed?: string };
}

function latestSource(env: Env): string {
  return isMirror(env) ? `${releaseBase(env)}/latest.txt` : (env.LOOM_GITHUB_API_LATEST ?? GITHUB_API_LATEST);
}

function readRemembered(env: Env): Remembered {
  const path = join(cacheDir(env), RESOLVED_FILE);
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Remembered) : {};
  } catch {
    return {}; // a damaged file is only a lost memo
  }
}

export function newestCachedVersion(name: string, tag: PlatformTag, env: Env): string | undefined {
  const versions = listCache(env)
    .filter((e) => e.name === name && e.platform === tag)
    .map((e) => e.version);
  return versions.sort(compareVersions).pop();
}

export interface ResolvedLatest {
  version: string;
  how: "remembered" | "fetched" | "offline-cache";
}

async function fetchLatest(source: string, deps: HttpDeps): Promise<string> {
  const r = await fetchText(source, deps, { headers: source.endsWith(".txt") ? {} : { accept: "application/vnd.github+json" } });
  if (r.text === undefined) {
    throw new LoomError("DOWNLOAD", `cannot resolve the latest runtime version: ${source} answered HTTP ${r.status}`, {
      hint:
        r.status === 403 || r.status === 429
          ? "GitHub's rate limit: set GITHUB_TOKEN, or pin [bridge] version in loom.toml"
          : 'pin a version with [bridge] version = "0.1.0" in loom.toml, or --version',
    });
  }
  const body = r.text;
  let raw: string;
  try {
    raw = source.endsWith(".txt") ? (body.trim().split(/\s+/)[0] ?? "") : String((JSON.parse(body) as { tag_name?: string }).tag_name ?? "");
  } catch {
    // A captive portal or a proxy's error page: a download error like any other (the cache may answer).
    throw new LoomError("DOWNLOAD", `${source} did not answer with JSON (got ${JSON.stringify(body.slice(0, 40))})`, {
      hint: "check your network or proxy, or pin [bridge] version in loom.toml",
    });
  }
  try {
    return normalizeVersion(raw);
  } catch {
    throw new LoomError("DOWNLOAD", `${source} does not name a version (got ${JSON.stringify(raw.slice(0, 40))})`, {
      hint: "pin a runtime version in loom.toml ([bridge] version)",
    });
  }
}

export async function resolveLatest(name: string, tag: PlatformTag, deps: HttpDeps, now = Date.now()): Promise<ResolvedLatest> {
  const env = deps.env;
  const source = latestSource(env);
  const offline = env.LOOM_OFFLINE === "1";
  const memo = readRemembered(env)[source];
  if (memo?.version && (offline || now - memo.at < LATEST_TTL_MS)) return { version: memo.version, how: "remembered" };
  const remember = (entry: Remembered[string]) => {
    const all = readRemembered(env);
    all[source] = entry.failed && all[source]?.version ? { ...all[source], failed: entry.failed, at: entry.at } : entry;
    try {
      writeFileAtomic(join(ensureCacheDir(env), RESOLVED_FILE), JSON.stringify(all, null, 2) + "\n");
    } catch {} // a memo that cannot be written only costs the next start a lookup
  };
  if (!offline) {
    const cached = newestCachedVersion(name, tag, env);
    if (memo?.failed && now - memo.at < LATEST_FAILURE_TTL_MS && !deps.fresh) {
      if (cached) return { version: cached, how: "offline-cache" };
      const ago = Math.max(1, Math.round((now - memo.at) / 60_000));
      throw new LoomError(
        "DOWNLOAD",
        `the latest runtime version could not be looked up ${ago} min ago (${memo.failed}); not asking again for ${LATEST_FAILURE_TTL_MS / 60_000} min`,
        {
          hint: `\`loom install\` asks again now; or pin [bridge] version in loom.toml`,
        },
      );
    }
    try {
      const version = await fetchLatest(source, deps);
      remember({ version, at: now });
      return { version, how: "fetched" };
    } catch (error) {
      if (error instanceof LoomError && UNREACHABLE.has(error)) remember({ at: now, failed: error.message });
      // No network, a rate limit, a mirror without latest.txt: the newest cached version still runs.
      if (cached && error instanceof LoomError && error.code === "DOWNLOAD") return { version: cached, how: "offline-cache" };
      throw error;
    }
  }
  const cached = newestCachedVersion(name, tag, env);
  if (cached) return { version: cached, how: "offline-cache" };
  throw new LoomError("DOWNLOAD", `LOOM_OFFLINE=1 and no ${name} for ${tag} is cached, so "latest" cannot be resolved`, {
    hint: `run \`loom install\` once with network access (cache: ${cacheDir(env)}), or unset LOOM_OFFLINE`,
  });
}
