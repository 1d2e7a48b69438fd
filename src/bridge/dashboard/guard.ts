/**
 * Who may read the dashboard (docs/security.md "Who reaches what loom serves"):
 * - the Host header must be the configured host, `localhost`, or an IP literal (with any port):
 *   a DNS-rebinding page reaches 127.0.0.1 under its own name, and is refused (403);
 * - the peer's socket must belong to the owner (or root) when the system can tell
 *   (system/peer.ts): loopback is shared by every local user.
 * No CORS header is ever sent, so another site's page cannot read an answer.
 */
import { isIP } from "node:net";
import { canonicalIp, isLoopback, tcpPeerUid } from "../../system/peer";

export interface GuardOptions {
  /** [dashboard] host. */
  host: string;
  port: number;
  /** The dashboard listens on a non-loopback address on purpose ([bridge] expose). */
  exposed?: boolean;
}

const owner = typeof process.getuid === "function" ? process.getuid() : undefined;

/** The host part of a Host header ("[::1]:3030" -> "::1", "Example.COM:80" -> "example.com"). */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon > 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

/** Why a request with this Host header is refused, or undefined when it may be answered. */
export function refuseHost(header: string | null, configured: string): string | undefined {
  if (!header) return "a request without a Host header";
  const host = hostOf(header);
  if (host === "localhost" || isIP(host) !== 0 || host === configured.toLowerCase()) return undefined;
  return `Host ${JSON.stringify(header)} is not this dashboard's (a page of another site, reached through DNS rebinding, asks under its own name)`;
}

/** Why a peer is refused, or undefined. */
export function refusePeer(peer: { address: string; port: number } | null, options: GuardOptions, lookup = tcpPeerUid): string | undefined {
  if (owner === undefined || !peer) return undefined;
  const uid = lookup({ address: options.host, port: options.port }, peer);
  if (uid !== undefined) return uid === owner || uid === 0 ? undefined : `a connection of uid ${uid}, not of the project's owner`;
  if (process.platform !== "linux") return undefined;
  return options.exposed && !isLoopback(canonicalIp(peer.address)) ? undefined : `a connection from ${peer.address} whose owner cannot be told`;
}
