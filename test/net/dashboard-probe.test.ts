/** The dashboard's readiness probe against servers that lie or stall: what it reports, never a throw or unbounded memory. */
import { afterEach, expect, test } from "bun:test";
import type { Server, TCPSocketListener } from "bun";
import { dashboardHealthy } from "../../src/net/dashboard-probe";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function serving(fetch: (req: Request) => Response): number {
  const server: Server<undefined> = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch });
  stops.push(() => server.stop(true));
  return server.port!;
}

/** A TCP server that answers any request with `answer` (then `keep` open: a stall or a flood). */
function raw(onRequest: (socket: { write(data: string | Uint8Array): number; end(): void }) => void): number {
  const listener: TCPSocketListener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (socket) => onRequest(socket), drain() {} } });
  stops.push(() => listener.stop(true));
  return listener.port;
}

test("200 with JSON is healthy; another status or a body that is not JSON is said", async () => {
  expect(
    await dashboardHealthy(
      "127.0.0.1",
      serving(() => Response.json({ agents: 1 })),
    ),
  ).toEqual({ ok: true });
  const down = serving(() => new Response("starting", { status: 503 }));
  expect(await dashboardHealthy("0.0.0.0", down)).toEqual({ ok: false, detail: `http://127.0.0.1:${down}/api/metrics answered 503` });
  const html = serving(() => new Response("<html>"));
  expect((await dashboardHealthy("127.0.0.1", html)).detail).toEndWith("did not answer JSON");
});

test("nothing listening, not HTTP, no answer at all, an endless answer: each a clear failure within the time given", async () => {
  const closed = serving(() => new Response("{}"));
  stops.pop()!();
  expect((await dashboardHealthy("127.0.0.1", closed)).detail).toEndWith("connection refused");
  const ssh = raw((s) => {
    s.write("SSH-2.0-OpenSSH_9.6\r\n");
    s.end();
  });
  expect((await dashboardHealthy("127.0.0.1", ssh)).detail).toEndWith("did not answer HTTP");
  const silent = raw(() => {});
  expect((await dashboardHealthy("127.0.0.1", silent, 300)).detail).toEndWith("no answer within 300 ms");
  const flood = raw((s) => {
    s.write("HTTP/1.0 200 OK\r\n\r\n");
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    for (let i = 0; i < 40; i++) s.write(chunk); // 2.5 MB, kept open
  });
  expect((await dashboardHealthy("127.0.0.1", flood, 5_000)).detail).toContain("answered more than 1048576 bytes");
});
