/**
 * An HTTP/2 session to a Bridge, apart from the probes' other modules: what connects with it (the
 * CLI's and the SDK's gRPC, client/h2-grpc.ts) loads node:http2 and node:net only (node:http
 * costs an agent 4 ms more to load).
 */
import http2 from "node:http2";
import net from "node:net";
import { hostPort } from "./address";

/**
 * An HTTP/2 session to a Bridge: h2c (over a `unix:` socket too), or TLS for a remote Bridge
 * (remote.ts) trusting `tls.ca` when given, else the default roots. A wildcard listen address is
 * reached on loopback.
 */
export function bridgeSession(address: string, tls?: { ca?: string }): http2.ClientHttp2Session {
  if (address.startsWith("unix:")) {
    const path = address.slice("unix:".length);
    return http2.connect("http://localhost", { createConnection: () => net.connect(path) });
  }
  const { host, port } = hostPort(address);
  const connectHost = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const origin = `${tls ? "https" : "http"}://${connectHost.includes(":") ? `[${connectHost}]` : connectHost}:${port}`;
  return tls ? http2.connect(origin, tls.ca ? { ca: tls.ca } : {}) : http2.connect(origin);
}

/** grpc-message is percent-encoded; a server that breaks the encoding still gets its text shown, never a URIError. */
export function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
