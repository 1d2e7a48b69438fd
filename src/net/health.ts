/**
 * Readiness and liveness, measured rather than slept: the Bridge's gRPC Heartbeat over h2c
 * (docs/runtime-contract.md "Health"; a few lines of node:http2, no gRPC library) and the dashboard's
 * GET /api/metrics.
 */
import type http2 from "node:http2";
import { PROBE_TIMEOUT_MS } from "../constants";
import { bridgeSession, percentDecoded } from "./h2-session";

export { bridgeSession } from "./h2-session";

export interface ProbeResult {
  ok: boolean;
  /** What went wrong, for messages ("connection refused", "grpc-status 14: not ready", ...). */
  detail?: string;
}

/** HeartbeatRequest { int64 timestamp_ms = 1; } in one uncompressed gRPC frame. */
export function heartbeatFrame(now = Date.now()): Buffer {
  const varint: number[] = [];
  let n = BigInt(now);
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) byte |= 0x80;
    varint.push(byte);
  } while (n > 0n);
  const message = Buffer.from([0x08, ...varint]);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

/**
 * One Heartbeat on an open session: ok on grpc-status 0 within `timeoutMs`. The session's own
 * error (a refused connection, a refused certificate) is the detail when there is one; `loom
 * ping` reuses one session for many, a probe opens one for each.
 */
export function heartbeatOn(session: http2.ClientHttp2Session, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let broken: string | undefined;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.off("error", onError);
      resolve(result);
    };
    const onError = (e: NodeJS.ErrnoException) => {
      broken =
        e.code === "ECONNREFUSED"
          ? "connection refused"
          : e.code === "ECONNRESET"
            ? "the connection was closed at once (an embedded Bridge closes connections of users other than its owner)"
            : e.message;
      done({ ok: false, detail: broken });
    };
    const timer = setTimeout(() => done({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    if (session.destroyed || session.closed) return done({ ok: false, detail: "connection closed" });
    session.on("error", onError);
    const req = session.request({ ":method": "POST", ":path": "/loom.v1.Bridge/Heartbeat", "content-type": "application/grpc", te: "trailers" });
    let status: string | undefined;
    let message: string | undefined;
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = percentDecoded(String(h["grpc-message"]));
    };
    req.on("response", take); // a trailers-only answer puts grpc-status in the headers
    req.on("trailers", take);
    req.on("data", () => {});
    req.on("error", (e) => done({ ok: false, detail: broken ?? e.message }));
    req.on("end", () => {
      if (status === "0") done({ ok: true });
      else done({ ok: false, detail: status === undefined ? "answer without grpc-status" : `grpc-status ${status}${message ? `: ${message}` : ""}` });
    });
    req.end(heartbeatFrame());
  });
}

export async function grpcHeartbeat(address: string, timeoutMs = PROBE_TIMEOUT_MS, tls?: { ca?: string }): Promise<ProbeResult> {
  const session = bridgeSession(address, tls);
  session.on("error", () => {}); // reported by heartbeatOn; never an uncaught error after it
  try {
    return await heartbeatOn(session, timeoutMs);
  } finally {
    session.destroy();
  }
}

/**
 * One unary call whose messages are JSON (loom's own services, like the embedded Bridge's
 * `loom.embedded.v1.Admin`), on raw HTTP/2 as the Heartbeat is: a process that only asks this
 * (the background supervisor) does not load grpc-js. Resolves with the answer, or undefined.
 */
export async function grpcJsonCall(address: string, path: string, request: unknown, timeoutMs = PROBE_TIMEOUT_MS): Promise<unknown> {
  const session = bridgeSession(address);
  session.on("error", () => {});
  try {
    return await new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      const chunks: Buffer[] = [];
      let status: string | undefined;
      const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      };
      req.on("response", take);
      req.on("trailers", take);
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("error", () => resolve(undefined));
      req.on("end", () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        if (status !== "0" || body.length < 5) return resolve(undefined);
        try {
          resolve(JSON.parse(body.subarray(5, 5 + body.readUInt32BE(1)).toString("utf8")));
        } catch {
          resolve(undefined);
        }
      });
      const payload = Buffer.from(JSON.stringify(request ?? {}));
      const frame = Buffer.alloc(5 + payload.length);
      frame.writeUInt32BE(payload.length, 1);
      payload.copy(frame, 5);
      req.end(frame);
    });
  } finally {
    session.destroy();
  }
}
