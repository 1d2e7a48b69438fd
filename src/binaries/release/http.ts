/**
 * HTTP for release downloads: which URLs may be fetched, which get a GitHub token, retries with
 * backoff, redirects followed by hand (so the token never follows a redirect to another host),
 * and network failures turned into messages that say what to do.
 */
import { envNumber } from "../../config/env/env-number";
import { LoomError } from "../../errors";
import type { Env } from "../cache";

export const DEFAULT_RELEASE_BASE = "https://github.com/loom-os/loom/releases/download";
export const GITHUB_API_LATEST = "https://api.github.com/repos/loom-os/loom/releases/latest";
const GITHUB_HOSTS = new Set(["github.com", "api.github.com"]);
const MAX_REDIRECTS = 5;
const MAX_RETRY_AFTER_MS = 60_000;
/** Connecting and receiving the response headers, per request (LOOM_CONNECT_TIMEOUT_SEC). */
export const CONNECT_TIMEOUT_SEC = 15;
/** A checksum file or a version answer is small; a larger one is refused. */
const MAX_SMALL_BODY = 1024 * 1024;

/** No response headers in time: a server that accepts the connection and then says nothing. */
export class HeadersTimeout extends Error {
  readonly code = "EHEADERS";
}

export function connectTimeoutMs(env: Env): number {
  return envNumber(env, "LOOM_CONNECT_TIMEOUT_SEC", CONNECT_TIMEOUT_SEC, 0.001) * 1000;
}

export interface HttpDeps {
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  sleep: (ms: number) => Promise<void>;
  env: Env;
  /** Called before each retry, for the user. */
  onRetry?: (message: string) => void;
  /** Ask again what a recent failure answered (latest.ts). */
  fresh?: boolean;
}

/** Errors of a server that could not be reached at all (not an HTTP status): offline, or a wrong name. */
export const UNREACHABLE = new WeakSet<LoomError>();

export function defaultHttpDeps(env: Env = process.env): HttpDeps {
  return { fetch: globalThis.fetch, sleep: (ms) => Bun.sleep(ms), env };
}

export function releaseBase(env: Env): string {
  return (env.LOOM_DOWNLOAD_BASE_URL || DEFAULT_RELEASE_BASE).replace(/\/+$/, "");
}

export function isMirror(env: Env): boolean {
  return Boolean(env.LOOM_DOWNLOAD_BASE_URL);
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** https anywhere; plain http only to loopback or with LOOM_ALLOW_HTTP=1. */
export function assertUrlAllowed(url: string, env: Env): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LoomError("USAGE", `"${url}" is not a valid URL`, { hint: "LOOM_DOWNLOAD_BASE_URL must be an https:// URL" });
  }
  if (parsed.protocol === "https:") return parsed;
  if (parsed.protocol === "http:" && (isLoopback(parsed.hostname) || env.LOOM_ALLOW_HTTP === "1")) return parsed;
  throw new LoomError("DOWNLOAD", `refusing to download over ${parsed.protocol} from ${parsed.host}: ${url}`, {
    hint: parsed.protocol === "http:" ? "use an https:// mirror, or set LOOM_ALLOW_HTTP=1 if this network is trusted" : "use an https:// URL",
  });
}

/** A GitHub token goes to GitHub's own hosts only, never to a mirror or a redirect target. */
export function authHeaders(url: URL, env: Env): Record<string, string> {
  const token = env.LOOM_GITHUB_TOKEN || env.GITHUB_TOKEN;
  return token && url.protocol === "https:" && GITHUB_HOSTS.has(url.hostname) ? { authorization: `Bearer ${token}` } : {};
}

export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

export function backoffMs(attempt: number, base: number): number {
  return Math.min(base * 2 ** attempt, 10_000) * (0.75 + Math.random() * 0.5);
}

/** What a failed connection means, and what to try. */
export function networkError(url: string, error: unknown): LoomError {
  const code = (error as { code?: string }).code ?? "";
  const reason: Record<string, string> = {
    ECONNREFUSED: "the connection was refused",
    ENOTFOUND: "the host name could not be resolved",
    ETIMEDOUT: "the connection timed out",
    ECONNRESET: "the connection was reset",
    CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate could not be verified",
    DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed",
    EHEADERS: "no response within the connect timeout (LOOM_CONNECT_TIMEOUT_SEC)",
  };
  const why = reason[code] ?? (error instanceof Error ? error.message : String(error));
  const failure = new LoomError("DOWNLOAD", `cannot reach ${url}: ${why}`, {
    hint: "check your network or proxy (HTTPS_PROXY, NO_PROXY); set LOOM_DOWNLOAD_BASE_URL to a mirror, or run with LOOM_OFFLINE=1 using binaries cached by `loom install`",
    cause: error,
  });
  UNREACHABLE.add(failure);
  return failure;
}

function retriable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** A host name that does not resolve is offline (or a typo) now and in a second: not retried. */
const UNRESOLVED = ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"];

export interface FetchOptions {
  /** Retries after the first attempt (default LOOM_DOWNLOAD_RETRIES or 3). */
  retries?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/**
 * GET with retries on connection errors, 5xx and 429 (honouring Retry-After), none on other
 * statuses. Returns the final response, ok or not; throws a LoomError when the server cannot be
 * reached at all.
 */
export async function fetchWithRetry(url: string, deps: HttpDeps, options: FetchOptions = {}): Promise<Response> {
  const retries = options.retries ?? envNumber(deps.env, "LOOM_DOWNLOAD_RETRIES", 3);
  const base = envNumber(deps.env, "LOOM_RETRY_BASE_MS", 500);
  for (let attempt = 0; ; attempt++) {
    let response: Response | undefined;
    let failure: unknown;
    try {
      response = await fetchFollowingRedirects(url, deps, options);
    } catch (error) {
      if (error instanceof LoomError || options.signal?.aborted) throw error;
      failure = error;
    }
    const again = failure !== undefined ? !UNRESOLVED.includes((failure as { code?: string }).code ?? "") : retriable(response!.status);
    if (!again || attempt >= retries) {
      if (failure !== undefined) throw networkError(url, failure);
      return response!;
    }
    const wait = (response && retryAfterMs(response.headers.get("retry-after"))) ?? backoffMs(attempt, base);
    await response?.body?.cancel().catch(() => {});
    deps.onRetry?.(
      `${failure !== undefined ? networkError(url, failure).message : `${url} answered ${response!.status}`}; retrying in ${(wait / 1000).toFixed(1)}s (${attempt + 1}/${retries})`,
    );
    await deps.sleep(wait);
  }
}

/** One request's headers, or a HeadersTimeout: the timer stops once they arrive (the body has its own limits). */
async function fetchHeaders(url: URL, deps: HttpDeps, options: FetchOptions): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new HeadersTimeout(`no response headers from ${url.host}`)), connectTimeoutMs(deps.env));
  try {
    return await deps.fetch(url.href, {
      redirect: "manual",
      signal: options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal,
      headers: { "user-agent": "loom-cli", ...options.headers, ...authHeaders(url, deps.env) },
    });
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

/** A small text answer (checksums, a version), read within the connect timeout and at most 1 MB. */
export async function fetchText(url: string, deps: HttpDeps, options: FetchOptions = {}): Promise<{ status: number; text?: string }> {
  const r = await fetchWithRetry(url, deps, options);
  if (!r.ok || !r.body) {
    await r.body?.cancel().catch(() => {});
    return { status: r.status };
  }
  const deadline = Date.now() + connectTimeoutMs(deps.env);
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((done) => (timer = setTimeout(() => done("late"), Math.max(0, deadline - Date.now()))));
    const next = await Promise.race([reader.read(), late]);
    clearTimeout(timer);
    if (next === "late") {
      await reader.cancel().catch(() => {});
      throw networkError(url, new HeadersTimeout("body too slow"));
    }
    if (next.done) break;
    size += next.value.length;
    if (size > MAX_SMALL_BODY) {
      await reader.cancel().catch(() => {});
      throw new LoomError("DOWNLOAD", `${url} sent more than 1 MB where a checksum or version was expected`, { hint: "check LOOM_DOWNLOAD_BASE_URL" });
    }
    chunks.push(next.value);
  }
  return { status: r.status, text: Buffer.concat(chunks).toString("utf8") };
}

async function fetchFollowingRedirects(url: string, deps: HttpDeps, options: FetchOptions): Promise<Response> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const parsed = assertUrlAllowed(current, deps.env);
    const response = await fetchHeaders(parsed, deps, options);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      current = new URL(location, parsed).href;
      continue;
    }
    return response;
  }
  throw new LoomError("DOWNLOAD", `too many redirects from ${url}`, { hint: "check LOOM_DOWNLOAD_BASE_URL" });
}
