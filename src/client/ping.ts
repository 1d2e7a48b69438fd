/**
 * `loom ping`: Heartbeat round trips to a Bridge (native or embedded), over one h2c connection so
 * the time shown is the round trip, not a new connection each time (docs/runtime-contract.md
 * "Health").
 */
import { bridgeSession, heartbeatOn } from "../net/health";

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
  const session = bridgeSession(address, tls);
  // A refused connection is remembered: the next pings say so at once rather than time out.
  let broken: string | undefined;
  session.on("error", (e: NodeJS.ErrnoException) => (broken = e.code === "ECONNREFUSED" ? "connection refused" : e.message));
  return {
    ping: async (timeoutMs) => {
      const started = performance.now();
      const r = broken ? { ok: false, detail: broken } : await heartbeatOn(session, timeoutMs);
      return { ok: r.ok, detail: r.detail, ms: performance.now() - started };
    },
    close: () => session.close(),
  };
}
