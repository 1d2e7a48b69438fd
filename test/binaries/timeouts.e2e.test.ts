/** Servers that stall or crawl: every download limit ends with a message, never a hang. */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "pathe";
import { downloadToFile } from "../../src/binaries/release/download";
import { defaultHttpDeps, fetchText } from "../../src/binaries/release/http";
import { LoomError } from "../../src/errors";
import { tempDir } from "../helpers/tmp";

const servers: { stop(force?: boolean): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function serve(fetch: (req: Request, n: number) => Response | Promise<Response>): string {
  let n = 0;
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: (req) => fetch(req, ++n) });
  servers.push(s);
  return `http://127.0.0.1:${s.port}`;
}

const deps = (env: Record<string, string>) => ({ ...defaultHttpDeps({ LOOM_DOWNLOAD_RETRIES: "0", LOOM_RETRY_BASE_MS: "1", ...env }) });

async function failure(p: Promise<unknown>): Promise<LoomError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  );
  if (!(e instanceof LoomError)) throw new Error(`expected a LoomError, got ${e}`);
  expect(e.exitCode).toBe(3);
  return e;
}

/** A body that sends `bytes` every `everyMs`, forever (until the client goes). */
function trickle(bytes: number, everyMs: number): Response {
  let timer: ReturnType<typeof setInterval>;
  return new Response(
    new ReadableStream({
      start(c) {
        timer = setInterval(() => c.enqueue(new Uint8Array(bytes)), everyMs);
      },
      cancel: () => clearInterval(timer),
    }),
  );
}

describe("download limits", () => {
  test("no response headers: gives up after LOOM_CONNECT_TIMEOUT_SEC (checksum requests included)", async () => {
    const url = serve(() => new Promise<Response>(() => {}));
    const e = await failure(fetchText(`${url}/checksums.txt`, deps({ LOOM_CONNECT_TIMEOUT_SEC: "0.3" })));
    expect(e.message).toContain("no response within the connect timeout (LOOM_CONNECT_TIMEOUT_SEC)");
  });

  test("a checksum body that never ends is cut at the same limit", async () => {
    const url = serve(() => trickle(1, 50));
    const e = await failure(fetchText(`${url}/checksums.txt`, deps({ LOOM_CONNECT_TIMEOUT_SEC: "0.3" })));
    expect(e.message).toContain("cannot reach");
  });

  test("a body that stalls: no data for LOOM_DOWNLOAD_TIMEOUT_SEC", async () => {
    const url = serve(() => new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(10)) })));
    const dest = join(tempDir(), "asset");
    const e = await failure(downloadToFile(`${url}/a`, dest, deps({ LOOM_DOWNLOAD_TIMEOUT_SEC: "0.3" })));
    expect(e.message).toContain("no data for 0.3s");
    expect(existsSync(dest)).toBe(false);
  });

  test("a crawl below the minimum rate is abandoned", async () => {
    const url = serve(() => trickle(10, 20)); // 500 bytes/s, never stalled
    const e = await failure(downloadToFile(`${url}/a`, join(tempDir(), "asset"), deps({ LOOM_DOWNLOAD_MIN_RATE: "5000", LOOM_DOWNLOAD_RATE_WINDOW_MS: "300" })));
    expect(e.message).toContain("slower than 5000 bytes/s over 0.3s");
  });

  test("the overall deadline ends even a download that keeps moving", async () => {
    const url = serve(() => trickle(64 * 1024, 10));
    const e = await failure(downloadToFile(`${url}/a`, join(tempDir(), "asset"), deps({ LOOM_DOWNLOAD_DEADLINE_SEC: "0.4" })));
    expect(e.message).toContain("did not finish within LOOM_DOWNLOAD_DEADLINE_SEC");
  });

  test("retry sleeps do not count as a stall", async () => {
    const url = serve((_, n) => (n <= 2 ? new Response("busy", { status: 503, headers: { "retry-after": "1" } }) : new Response("payload")));
    const r = await downloadToFile(`${url}/a`, join(tempDir(), "asset"), deps({ LOOM_DOWNLOAD_RETRIES: "3", LOOM_DOWNLOAD_TIMEOUT_SEC: "0.5" }));
    expect(r).toMatchObject({ size: 7 });
  });
});
