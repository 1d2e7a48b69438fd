/**
 * Download, verify, extract and cache one release binary. Nothing reaches the cache unless its
 * checksum matched; every step works in a temporary name inside the cache dir and the result is
 * renamed into place, so a failure at any point leaves the cache as it was.
 */
import { chmodSync, mkdtempSync, readdirSync, renameSync, rmSync, existsSync } from "node:fs";
import { join } from "pathe";
import { LoomError } from "../errors";
import { TEMP_PREFIX, cacheWriteError, cachedFileName, ensureCacheDir, readChecksums, writeChecksums } from "./cache";
import { downloadToFile, type DownloadProgress } from "./download";
import { fetchWithRetry, releaseBase, type HttpDeps } from "./http";
import { withLock } from "./lock";
import { exeName, isWindowsTag, type PlatformTag } from "./platform";
import { probeVersion, sha256File } from "./probe";
import { assetName, assetUrl, listedAssets, publishedChecksum } from "./release";
import { extractTarGzEntry } from "./tar";
import { rememberVerified } from "./verified";
import { extractZipEntry } from "./zip";

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
}

function notFound(req: InstallRequest, url: string, checksumsTxt?: string): LoomError {
  const assets = checksumsTxt ? listedAssets(checksumsTxt) : [];
  const details = assets.length ? [`release v${req.version} has: ${assets.join(", ")}`] : [];
  const what = assets.length ? `release v${req.version} has no ${req.name} for ${req.tag}` : `release v${req.version} or its ${req.name} asset for ${req.tag} does not exist`;
  return new LoomError("DOWNLOAD", `${what} (404 from ${url})`, {
    details,
    hint: `check the version ([bridge] version in loom.toml or --version), the mode, and LOOM_DOWNLOAD_BASE_URL; or build the runtime locally (target/release/${req.name})`,
  });
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
  const asset = assetName(req.name, req.version, req.tag);
  const url = assetUrl(releaseBase(env), req.version, asset);

  const published = await publishedChecksum(req.version, asset, req.http);
  if (!published.sha256) {
    // Say "does not exist" rather than "no checksum" when the asset itself is missing.
    const probe = await fetchWithRetry(url, req.http);
    await probe.body?.cancel().catch(() => {});
    if (probe.status === 404) throw notFound(req, url, published.checksumsTxt);
    if (env.LOOM_CHECKSUM_IGNORE_MISSING !== "1")
      throw new LoomError("VERIFY", `no checksum is published for ${url} (neither ${asset}.sha256 nor an entry in checksums.txt)`, {
        hint: "nothing was installed; ask the release's publisher for checksums, or set LOOM_CHECKSUM_IGNORE_MISSING=1 to install it unverified at your own risk",
      });
    req.hooks.onWarn?.(`LOOM_CHECKSUM_IGNORE_MISSING=1: installing ${asset} WITHOUT checksum verification`);
  }

  const work = mkdtempSync(join(dir, `${TEMP_PREFIX}${file}-`));
  try {
    const archive = join(work, asset);
    req.hooks.onInfo?.(`downloading ${url}`);
    const started = Date.now();
    const result = await downloadToFile(url, archive, req.http, { onProgress: (p) => req.hooks.onProgress?.(asset, p) });
    if ("status" in result) {
      if (result.status === 404) throw notFound(req, url, published.checksumsTxt);
      throw new LoomError("DOWNLOAD", `${url} answered HTTP ${result.status}`, { hint: "try again later, or use a mirror with LOOM_DOWNLOAD_BASE_URL" });
    }
    req.hooks.onDone?.(asset, result.size, Date.now() - started);
    if (published.sha256 && result.sha256 !== published.sha256)
      throw new LoomError("VERIFY", `checksum mismatch for ${asset}: expected ${published.sha256}, got ${result.sha256}`, {
        details: [`expected (from ${published.source}): ${published.sha256}`, `downloaded:  ${result.sha256}`],
        hint: "nothing was installed. The download was corrupted or tampered with: try again, and check LOOM_DOWNLOAD_BASE_URL and any proxy",
      });

    // Extract into a fresh, empty directory: nothing there for an archive to aim at.
    const outDir = mkdtempSync(join(work, "x-"));
    const exe = exeName(req.name, req.tag);
    const extracted = join(outDir, exe);
    if (isWindowsTag(req.tag)) await extractZipEntry(archive, exe, extracted);
    else await extractTarGzEntry(archive, exe, extracted);
    chmodSync(extracted, 0o755);

    const probe = probeVersion(extracted);
    if (!probe.ok)
      throw new LoomError("VERIFY", `${req.name} from ${asset} does not run: \`--version\` failed (${probe.output.split("\n")[0] || "no output"})`, {
        hint: `nothing was installed; the asset may be built for another platform than ${req.tag}`,
      });
    if (probe.version !== req.version)
      throw new LoomError("VERIFY", `${asset} holds ${req.name} ${probe.version ?? "(unknown version)"}, not ${req.version}`, {
        hint: "the release is mislabelled; report it, or pin another version",
      });

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
