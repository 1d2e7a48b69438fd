/**
 * Streams a release asset to a file while hashing it: never the whole asset in memory, a stall
 * timeout on every read, retries of the whole transfer when it breaks off.
 */
import { envNumber } from "../config/env-number";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { LoomError } from "../errors";
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

/** Downloads `url` to `dest` (created exclusively). Returns undefined with the status on a non-2xx answer. */
export async function downloadToFile(url: string, dest: string, deps: HttpDeps, options: DownloadOptions = {}): Promise<Downloaded | { status: number }> {
  const stallMs = options.stallMs ?? envNumber(deps.env, "LOOM_DOWNLOAD_TIMEOUT_SEC", 30, 0.001) * 1000;
  const retries = envNumber(deps.env, "LOOM_DOWNLOAD_RETRIES", 3);
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptDownload(url, dest, deps, stallMs, options.onProgress);
    } catch (error) {
      rmSync(dest, { force: true });
      if (error instanceof LoomError || attempt >= retries) {
        if (error instanceof LoomError) throw error;
        const why = error instanceof Stalled ? `no data for ${stallMs / 1000}s` : (error as Error).message;
        throw new LoomError("DOWNLOAD", `download of ${url} failed: ${why}`, {
          hint: "check your network or proxy; set LOOM_DOWNLOAD_TIMEOUT_SEC for slow links, or LOOM_DOWNLOAD_BASE_URL for a mirror",
          cause: error,
        });
      }
      deps.onRetry?.(`download of ${url} broke off (${error instanceof Stalled ? "stalled" : (error as Error).message}); retrying (${attempt + 1}/${retries})`);
      await deps.sleep(500 * 2 ** attempt);
    }
  }
}

async function attemptDownload(url: string, dest: string, deps: HttpDeps, stallMs: number, onProgress?: (p: DownloadProgress) => void): Promise<Downloaded | { status: number }> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Stalled()), stallMs);
  };
  arm();
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
    arm();
    for await (const chunk of response.body) {
      arm();
      hasher.update(chunk);
      writeSync(fd, chunk);
      received += chunk.length;
      onProgress?.({ received, total });
    }
    if (total !== undefined && received !== total) throw new Error(`the transfer ended after ${received} of ${total} bytes`);
    return { sha256: hasher.digest("hex"), size: received };
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason instanceof Stalled) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    if (fd !== undefined) closeSync(fd);
  }
}
