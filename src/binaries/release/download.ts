/**
 * Streams a release asset to a file while hashing it: never the whole asset in memory. Four
 * limits, so a server that lies or stalls never hangs loom: connect + headers
 * (LOOM_CONNECT_TIMEOUT_SEC, http.ts), no byte for LOOM_DOWNLOAD_TIMEOUT_SEC once the body flows
 * (retry sleeps do not count), less than LOOM_DOWNLOAD_MIN_RATE bytes/s over a RATE_WINDOW_MS window,
 * and LOOM_DOWNLOAD_DEADLINE_SEC for the whole download, retries included. A transfer that breaks
 * off is retried whole.
 */
import { envNumber } from "../../config/env/env-number";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { LoomError } from "../../errors";
import { fetchWithRetry, type HttpDeps } from "./http";

export interface DownloadProgress {
  received: number;
  total?: number;
}

export interface DownloadOptions {
  /** Abort when no byte arrives for this long (default LOOM_DOWNLOAD_TIMEOUT_SEC or 30 s). */
  stallMs?: number;
  onProgress?: (p: DownloadProgress) => void;
}

export interface Downloaded {
  sha256: string;
  size: number;
}

class Stalled extends Error {}
class TooSlow extends Error {}
class PastDeadline extends Error {}

/** The window over which the minimum rate is judged. */
export const RATE_WINDOW_MS = 30_000;

interface Limits {
  stallMs: number;
  minRate: number;
  rateWindowMs: number;
  deadline: number;
}

function why(error: unknown, l: Limits): string {
  if (error instanceof Stalled) return `no data for ${l.stallMs / 1000}s`;
  if (error instanceof TooSlow) return `slower than ${l.minRate} bytes/s over ${l.rateWindowMs / 1000}s (LOOM_DOWNLOAD_MIN_RATE)`;
  if (error instanceof PastDeadline) return "it did not finish within LOOM_DOWNLOAD_DEADLINE_SEC";
  return (error as Error).message;
}

/** Downloads `url` to `dest` (created exclusively). Returns undefined with the status on a non-2xx answer. */
export async function downloadToFile(url: string, dest: string, deps: HttpDeps, options: DownloadOptions = {}): Promise<Downloaded | { status: number }> {
  const limits: Limits = {
    stallMs: options.stallMs ?? envNumber(deps.env, "LOOM_DOWNLOAD_TIMEOUT_SEC", 30, 0.001) * 1000,
    minRate: envNumber(deps.env, "LOOM_DOWNLOAD_MIN_RATE", 1024, 0),
    rateWindowMs: envNumber(deps.env, "LOOM_DOWNLOAD_RATE_WINDOW_MS", RATE_WINDOW_MS, 1),
    deadline: Date.now() + envNumber(deps.env, "LOOM_DOWNLOAD_DEADLINE_SEC", 1800, 0.001) * 1000,
  };
  const retries = envNumber(deps.env, "LOOM_DOWNLOAD_RETRIES", 3);
  const baseMs = envNumber(deps.env, "LOOM_RETRY_BASE_MS", 500);
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptDownload(url, dest, deps, limits, options.onProgress);
    } catch (error) {
      rmSync(dest, { force: true });
      if (error instanceof LoomError || error instanceof PastDeadline || attempt >= retries || Date.now() >= limits.deadline) {
        if (error instanceof LoomError) throw error;
        throw new LoomError("DOWNLOAD", `download of ${url} failed: ${why(error, limits)}`, {
          hint: "check your network or proxy; raise LOOM_DOWNLOAD_TIMEOUT_SEC / LOOM_DOWNLOAD_DEADLINE_SEC for slow links, or use LOOM_DOWNLOAD_BASE_URL for a mirror",
          cause: error,
        });
      }
      deps.onRetry?.(`download of ${url} broke off (${why(error, limits)}); retrying (${attempt + 1}/${retries})`);
      await deps.sleep(Math.min(baseMs * 2 ** attempt, Math.max(0, limits.deadline - Date.now())));
    }
  }
}

async function attemptDownload(url: string, dest: string, deps: HttpDeps, limits: Limits, onProgress?: (p: DownloadProgress) => void): Promise<Downloaded | { status: number }> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The stall timer runs only while the body flows: connecting has its own limit, retry sleeps none.
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Stalled()), limits.stallMs);
  };
  const overall = setTimeout(() => controller.abort(new PastDeadline()), Math.max(0, limits.deadline - Date.now()));
  let fd: number | undefined;
  try {
    const response = await fetchWithRetry(url, deps, { signal: controller.signal });
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      return { status: response.status };
    }
    const total = Number(response.headers.get("content-length")) || undefined;
    const hasher = new Bun.CryptoHasher("sha256");
    fd = openSync(dest, "wx", 0o600);
    let received = 0;
    let windowStart = Date.now();
    let windowBytes = 0;
    arm();
    for await (const chunk of response.body) {
      arm();
      hasher.update(chunk);
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      received += chunk.length;
      windowBytes += chunk.length;
      const elapsed = Date.now() - windowStart;
      if (elapsed >= limits.rateWindowMs) {
        if (limits.minRate > 0 && windowBytes < (limits.minRate * elapsed) / 1000) throw new TooSlow();
        windowStart = Date.now();
        windowBytes = 0;
      }
      onProgress?.({ received, total });
    }
    if (total !== undefined && received !== total) throw new Error(`the transfer ended after ${received} of ${total} bytes`);
    return { sha256: hasher.digest("hex"), size: received };
  } catch (error) {
    const reason = controller.signal.reason;
    if (controller.signal.aborted && (reason instanceof Stalled || reason instanceof PastDeadline)) throw reason;
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(overall);
    if (fd !== undefined) closeSync(fd);
  }
}
