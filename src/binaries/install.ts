/**
 * Download, verify, extract and cache one release binary. Nothing reaches the cache unless its
 * checksum matched; every step works in a temporary name inside the cache dir and the result is
 * renamed into place, so a failure at any point leaves the cache as it was.
 */
import { chmodSync, mkdtempSync, readdirSync, renameSync, rmSync, existsSync } from "node:fs";
import { join } from "pathe";
import { LoomError } from "../errors";
import { tampered } from "./alarm";
import { TEMP_PREFIX, cacheWriteError, cachedFileName, ensureCacheDir, readChecksums, writeChecksums } from "./cache";
import { downloadToFile, type DownloadProgress } from "./release/download";
import { fetchWithRetry, releaseBase, type HttpDeps } from "./release/http";
import { withLock } from "./cache-lock";
import { exeName, isWindowsTag, type PlatformTag } from "./platform";
import { WORKSPACE_BINARY } from "./names";
import { sha256File } from "./probe";
import { CHECKSUM_LISTS, assetName, assetUrl, locateAsset } from "./release/assets";
import { releaseTag } from "./release/versions";
import { extractTarGzEntry } from "./archive/tar";
import { rememberVerified } from "./verified";
import { extractZipEntry } from "./archive/zip";

export interface InstallHooks {
  onInfo?: (message: string) => void;
  onWarn?: (message: string) => void;
  onRetry?: (message: string) => void;
  onProgress?: (asset: string, progress: DownloadProgress) => void;
  onDone?: (asset: string, size: number, ms: number) => void;
}

export interface InstallRequest {
  name: string;
  version: string;
  tag: PlatformTag;
  http: HttpDeps;
  hooks: InstallHooks;
  /** Download even when another process cached it meanwhile. */
  force: boolean;
  /** The flag that picks the version in the command that was run (`up` and `run` say --runtime-version). */
  versionFlag?: string;
}

function notFound(req: InstallRequest, candidates: string[], listed: string[]): LoomError {
  const details = listed.length ? [`release v${req.version} has: ${listed.join(", ")}`] : [];
  const what = listed.length ? `release v${req.version} has no runtime for ${req.tag}` : `release v${req.version} or its runtime for ${req.tag} does not exist`;
  return new LoomError("DOWNLOAD", `${what} (tried ${candidates.join(", ")} at ${assetUrl(releaseBase(req.http.env), req.version, "")})`, {
    details,
    hint: `check the version ([bridge] version in loom.toml or ${req.versionFlag ?? "--version"}) and LOOM_DOWNLOAD_BASE_URL; or build the runtime: \`cargo build --release -p loom-bridge --bin loom-bridge-server\` in a loom checkout, which loom finds in target/release`,
  });
}

/** The asset names a release may use for the runtime `name`, best first (docs/runtime-contract.md "Releases"). */
export function candidateAssets(name: string, version: string, tag: PlatformTag): string[] {
  return [...new Set([name, WORKSPACE_BINARY, "loom-core"])].map((n) => assetName(n, version, tag));
}

/** The executable inside an asset: the asset's own binary name, or the workspace's. */
function entryNames(asset: string, version: string, tag: PlatformTag, name: string): string[] {
  const own = asset.slice(0, asset.indexOf(`-${releaseTag(version).slice(1)}-${tag}`));
  return [...new Set([own, name, WORKSPACE_BINARY])].map((n) => exeName(n, tag));
}

export async function installRelease(req: InstallRequest): Promise<void> {
  const dir = ensureCacheDir(req.http.env);
  const file = cachedFileName(req.name, req.version, req.tag);
  const target = join(dir, file);
  try {
    await withLock(dir, "install", () => installLocked(req, dir, file, target), {
      onWait: () => req.hooks.onInfo?.("another loom is filling the cache; waiting for it"),
    });
  } catch (error) {
    if (error instanceof LoomError || !(error as NodeJS.ErrnoException).code) throw error;
    throw cacheWriteError(dir, error); // EACCES, EROFS, ENOSPC... on the cache itself
  }
}

/** Work directories of installs that were killed: nobody else uses them while the lock is held. */
function removeAbandoned(dir: string): void {
  for (const f of readdirSync(dir)) if (f.startsWith(TEMP_PREFIX)) rmSync(join(dir, f), { recursive: true, force: true });
}

async function installLocked(req: InstallRequest, dir: string, file: string, target: string): Promise<void> {
  removeAbandoned(dir);
  // Another process may have installed it while this one waited for the lock.
  if (!req.force && existsSync(target) && readChecksums(dir).has(file)) return;
  const env = req.http.env;
  const candidates = candidateAssets(req.name, req.version, req.tag);
  const published = await locateAsset(req.version, candidates, req.http);
  let asset = published.asset;
  if (!published.sha256) {
    // Say "does not exist" rather than "no checksum" when no candidate asset is there at all.
    for (const candidate of candidates) {
      const probe = await fetchWithRetry(assetUrl(releaseBase(env), req.version, candidate), req.http);
      await probe.body?.cancel().catch(() => {});
      if (probe.ok) {
        asset = candidate;
        break;
      }
    }
    if (!asset) throw notFound(req, candidates, published.listed);
    if (env.LOOM_CHECKSUM_IGNORE_MISSING !== "1")
      throw new LoomError(
        "VERIFY",
        `no checksum is published for ${assetUrl(releaseBase(env), req.version, asset)} (neither ${asset}.sha256 nor an entry in ${CHECKSUM_LISTS.join(", ")})`,
        {
          hint: "nothing was installed; ask the release's publisher for checksums, or set LOOM_CHECKSUM_IGNORE_MISSING=1 to install it unverified at your own risk",
        },
      );
    req.hooks.onWarn?.(`LOOM_CHECKSUM_IGNORE_MISSING=1: installing ${asset} WITHOUT checksum verification`);
  }
  const chosen: string = asset!;
  const url = assetUrl(releaseBase(env), req.version, chosen);

  const work = mkdtempSync(join(dir, `${TEMP_PREFIX}${file}-`));
  try {
    const archive = join(work, chosen);
    req.hooks.onInfo?.(`downloading ${url}`);
    const started = Date.now();
    const result = await downloadToFile(url, archive, req.http, { onProgress: (p) => req.hooks.onProgress?.(chosen, p) });
    if ("status" in result) {
      if (result.status === 404) throw notFound(req, candidates, published.listed);
      throw new LoomError("DOWNLOAD", `${url} answered HTTP ${result.status}`, { hint: "try again later, or use a mirror with LOOM_DOWNLOAD_BASE_URL" });
    }
    req.hooks.onDone?.(chosen, result.size, Date.now() - started);
    if (published.sha256 && result.sha256 !== published.sha256)
      throw tampered(
        new LoomError("VERIFY", `checksum mismatch for ${chosen}: expected ${published.sha256}, got ${result.sha256}`, {
          details: [`expected (from ${published.source}): ${published.sha256}`, `downloaded:  ${result.sha256}`],
          hint: "nothing was installed. The download was corrupted or tampered with: try again, check LOOM_DOWNLOAD_BASE_URL and any proxy; `--runtime embedded` runs the Bridge inside loom meanwhile",
        }),
      );

    // Extract into a fresh, empty directory: nothing there for an archive to aim at.
    const outDir = mkdtempSync(join(work, "x-"));
    const extracted = join(outDir, exeName(req.name, req.tag));
    const names = entryNames(chosen, req.version, req.tag, req.name);
    if (isWindowsTag(req.tag)) await extractZipEntry(archive, names, extracted);
    else await extractTarGzEntry(archive, names, extracted);
    chmodSync(extracted, 0o755);
    // Never run to ask what it is (it would start serving): its identity is the verified SHA-256
    // of its asset and the version in its name.

    const sha = await sha256File(extracted);
    renameSync(extracted, target);
    const sums = readChecksums(dir);
    sums.set(file, sha);
    writeChecksums(dir, sums);
    rememberVerified(dir, file, sha); // just hashed: the first use need not hash it again
    req.hooks.onInfo?.(`installed ${req.name} ${req.version} (${req.tag}) into ${target}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
