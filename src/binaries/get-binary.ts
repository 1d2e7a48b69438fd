/**
 * getBinary: the runtime binary to run, from (in order) an explicit path override, a local build,
 * the shared cache, or a verified download. Planning which source answers is kept apart from the
 * download itself (install.ts).
 */
import { existsSync } from "node:fs";
import { basename } from "pathe";
import { LoomError } from "../errors";
import { assertTrustedCache, binaryPath, cacheDir, readChecksums, removeCached, cachedFileName, type Env } from "./cache";
import { rememberVerified, verifiedUnchanged } from "./verified";
import { defaultHttpDeps, type HttpDeps } from "./release/http";
import { installRelease, type InstallHooks } from "./install";
import { isLatest, normalizeVersion } from "./release/versions";
import { resolveLatest } from "./release/latest";
import { findLocalBuild } from "./local";
import { PATH_OVERRIDE_ENV } from "./names";
import { platformTag, type PlatformTag } from "./platform";
import { isExecutable, sha256File } from "./probe";
import type { BinaryResult } from "./result";

export { type BinaryResult, type BinarySource, describeBinary, EMBEDDED } from "./result";

export interface GetBinaryOptions {
  name: string;
  /** "latest", "0.1.0" or "v0.1.0". */
  version: string;
  projectDir?: string;
  forceDownload?: boolean;
  preferDebug?: boolean;
  env?: Env;
  platform?: PlatformTag;
  http?: Partial<HttpDeps>;
  /** What loom tells the user: which source was used, why a cached file was dropped, progress. */
  hooks?: InstallHooks;
  /** The flag of the command that was run for picking a version, named in hints. */
  versionFlag?: string;
  /** Ask for `latest` even when a lookup failed a moment ago (`loom install`). */
  fresh?: boolean;
}

function overrideFor(name: string, env: Env): BinaryResult | undefined {
  const variable = PATH_OVERRIDE_ENV[name];
  const path = variable ? env[variable] : undefined;
  if (!variable || !path) return undefined;
  if (!existsSync(path)) throw new LoomError("CONFIG", `${variable} points to ${path}, which does not exist`, { hint: `fix or unset ${variable}` });
  if (!isExecutable(path)) throw new LoomError("CONFIG", `${variable} points to ${path}, which is not executable`, { hint: `chmod +x ${path}, or unset ${variable}` });
  return { path, source: "override" }; // used as it is: never run to learn what it is
}

/**
 * Why a cached binary cannot be used, or undefined when it is good. Its identity is its SHA-256 in
 * checksums.txt and the version in its name: it is never run to ask.
 */
export async function cachedProblem(path: string, env: Env): Promise<string | undefined> {
  if (!isExecutable(path)) return "it is not executable";
  const dir = cacheDir(env);
  const file = basename(path);
  const recorded = readChecksums(dir).get(file);
  if (!recorded) return "it has no entry in checksums.txt";
  if (!verifiedUnchanged(dir, file, recorded)) {
    const actual = await sha256File(path);
    if (actual !== recorded) return `its SHA-256 ${actual} does not match checksums.txt (${recorded})`;
    rememberVerified(dir, file, recorded);
  }
  return undefined;
}

/** A runtime that must still be downloaded: what to fetch, and where it will be cached. */
export interface DownloadNeeded {
  source: "download-needed";
  version: string;
  path: string;
}

function httpFor(options: GetBinaryOptions, env: Env): HttpDeps {
  const hooks = options.hooks ?? {};
  return { ...defaultHttpDeps(env), ...options.http, env, onRetry: hooks.onRetry ?? options.http?.onRetry, fresh: options.fresh || options.forceDownload };
}

/**
 * Which runtime would run, without downloading (or running) anything: an explicit path, a local
 * build, a verified cached binary, or the release version still to fetch. `loom doctor` stops here.
 */
export async function findBinary(options: GetBinaryOptions): Promise<BinaryResult | DownloadNeeded> {
  const env = options.env ?? process.env;
  const hooks = options.hooks ?? {};
  const tag = options.platform ?? platformTag();

  const override = overrideFor(options.name, env);
  if (override) return override;

  const preferDebug = options.preferDebug ?? env.LOOM_PREFER_DEBUG === "1";
  if (!options.forceDownload) {
    const local = findLocalBuild(options.name, options.projectDir ?? process.cwd(), tag, preferDebug, env);
    if (local) return { path: local.path, source: "local" };
  }

  assertTrustedCache(cacheDir(env)); // before anything in it is read: "latest", checksums, binaries
  let version: string;
  if (isLatest(options.version)) {
    const latest = await resolveLatest(options.name, tag, httpFor(options, env));
    if (latest.how === "offline-cache")
      hooks.onWarn?.(`cannot resolve "latest" (offline, or the release server did not say); using the newest cached ${options.name} ${latest.version}`);
    version = latest.version;
  } else version = normalizeVersion(options.version);

  const path = binaryPath(options.name, version, tag, env);
  if (!options.forceDownload && existsSync(path)) {
    const problem = await cachedProblem(path, env);
    if (!problem) return { path, source: "cache", version };
    hooks.onWarn?.(`removing cached ${cachedFileName(options.name, version, tag)}: ${problem}; fetching it again`);
    removeCached(cacheDir(env), cachedFileName(options.name, version, tag));
  }
  return { source: "download-needed", version, path };
}

export async function getBinary(options: GetBinaryOptions): Promise<BinaryResult> {
  const env = options.env ?? process.env;
  const found = await findBinary(options);
  if (found.source !== "download-needed") return found;
  const tag = options.platform ?? platformTag();
  const { version, path } = found;
  if (env.LOOM_OFFLINE === "1")
    throw new LoomError("DOWNLOAD", `LOOM_OFFLINE=1 and ${options.name} ${version} for ${tag} is not in the cache (${cacheDir(env)})`, {
      hint: `run \`loom install --version ${version}\` with network access first, or unset LOOM_OFFLINE`,
    });
  await installRelease({
    name: options.name,
    version,
    tag,
    http: httpFor(options, env),
    hooks: options.hooks ?? {},
    force: options.forceDownload ?? false,
    versionFlag: options.versionFlag,
  });
  return { path, source: "download", version };
}
