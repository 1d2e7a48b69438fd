/**
 * The supervisor's readiness probe of a dashboard: GET /api/metrics answers 200 with JSON. One
 * HTTP/1.0 request on a plain socket (Bun.connect), not node:http, which read an answer of any
 * size until its timeout (a server that floods loopback fills memory in that time) and stayed
 * loaded in the supervisor for this one request (0.5–1 MB of its private memory at 50 agents;
 * 3 MB in a program that loads nothing else). Not fetch: it routes loopback through HTTP_PROXY.
 * HTTP/1.0 asks for a body delimited by the connection's close: no chunked encoding to read.
 */
import { PROBE_TIMEOUT_MS } from "../constants";
import type { ProbeResult } from "./health";

/** More than any metrics answer; a server that sends more is not a dashboard. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export function dashboardHealthy(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const shownHost = h.includes(":") ? `[${h}]` : h;
  const url = `http://${shownHost}:${port}/api/metrics`;
  return new Promise<ProbeResult>((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    let socket: { end(): void } | undefined;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.end();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, detail: `${url}: no answer within ${timeoutMs} ms` }), timeoutMs);
    Bun.connect({
      hostname: h,
      port,
      socket: {
        open(s) {
          socket = s;
          s.write(`GET /api/metrics HTTP/1.0\r\nHost: ${shownHost}:${port}\r\nAccept: application/json\r\n\r\n`);
        },
        data(_, chunk) {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) return done({ ok: false, detail: `${url} answered more than ${MAX_ANSWER_BYTES} bytes` });
          parts.push(Buffer.from(chunk));
        },
        close: () => done(judge(url, Buffer.concat(parts))),
        error: (_, e) => done({ ok: false, detail: `${url}: ${e.message}` }),
      },
    }).then(
      (s) => {
        socket = s;
        if (settled) s.end();
      },
      (e: NodeJS.ErrnoException) => done({ ok: false, detail: `${url}: ${e.code === "ECONNREFUSED" ? "connection refused" : e.message}` }),
    );
  });
}

/** The whole answer, read until the server closed: a 200 status line and a JSON body. */
function judge(url: string, answer: Buffer): ProbeResult {
  const end = answer.indexOf("\r\n\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.subarray(0, Math.min(answer.length, 64)).toString("latin1"))?.[1];
  if (!status || end < 0) return { ok: false, detail: `${url} did not answer HTTP` };
  if (status !== "200") return { ok: false, detail: `${url} answered ${status}` };
  try {
    JSON.parse(answer.subarray(end + 4).toString("utf8"));
    return { ok: true };
  } catch {
    return { ok: false, detail: `${url} did not answer JSON` };
  }
}
