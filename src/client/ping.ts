/**
 * `loom ping`: Heartbeat round trips to a Bridge (native or embedded), over one h2c connection so
 * the time shown is the round trip, not a new connection each time (docs/runtime-contract.md
 * "Health").
 */
import http2 from "node:http2";
import { heartbeatFrame } from "../orchestrator/health";
import { splitAddress } from "../orchestrator/ports";

export interface PingReply {
  ok: boolean;
  ms: number;
  detail?: string;
}

export interface PingSession {
  ping(timeoutMs: number): Promise<PingReply>;
  close(): void;
}

export function pingSession(address: string, tls?: { ca?: string }): PingSession {
  const { host, port } = splitAddress(address);
  const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const origin = `${tls ? "https" : "http"}://${target.includes(":") ? `[${target}]` : target}:${port}`;
  const session = tls ? http2.connect(origin, tls.ca ? { ca: tls.ca } : {}) : http2.connect(origin);
  let broken: string | undefined;
  session.on("error", (e: NodeJS.ErrnoException) => (broken = e.code === "ECONNREFUSED" ? "connection refused" : e.message));
  return {
    ping: (timeoutMs) =>
      new Promise((resolve) => {
        const started = performance.now();
        let settled = false;
        const done = (ok: boolean, detail?: string) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ ok, ms: performance.now() - started, detail });
        };
        const timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs);
        if (broken || session.destroyed) return done(false, broken ?? "connection closed");
        let status: string | undefined;
        let message: string | undefined;
        const req = session.request({ ":method": "POST", ":path": "/loom.v1.Bridge/Heartbeat", "content-type": "application/grpc", te: "trailers" });
        const take = (h: http2.IncomingHttpHeaders) => {
          if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
          if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
        };
        req.on("response", take);
        req.on("trailers", take);
        req.on("data", () => {});
        req.on("error", (e) => done(false, broken ?? e.message));
        req.on("end", () => (status === "0" ? done(true) : done(false, `grpc-status ${status ?? "missing"}${message ? `: ${message}` : ""}`)));
        req.end(heartbeatFrame());
      }),
    close: () => session.close(),
  };
}
