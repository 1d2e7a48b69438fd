/**
 * Bridge addresses, parsed in one place for every caller (loom.toml, LOOM_BRIDGE_ADDR, --address,
 * --bridge, the runtime's environment, probes): `host:port` (a name, an IPv4 literal or a
 * bracketed IPv6 literal), `http://` or `https://` in front (TLS for a remote Bridge), or
 * `unix:/absolute/path` (the embedded Bridge's socket). Text that is none of these is refused with
 * a message saying what would be, never a crash.
 */
import { LoomError } from "../errors";

export type BridgeAddress = { kind: "tcp"; host: string; port: number; tls: boolean } | { kind: "unix"; path: string };

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The address `text` names, or undefined when it names none. */
export function parseAddress(text: string): BridgeAddress | undefined {
  if (text.startsWith("unix:")) {
    const path = text.slice("unix:".length);
    return path.startsWith("/") && !path.includes("\0") ? { kind: "unix", path } : undefined;
  }
  const url = /^(https?):\/\/(.*)$/.exec(text);
  const m = HOST_PORT.exec(url ? url[2]! : text);
  // A host named "unix" would be written back (joinHostPort, dialString) as unix:PORT, the socket form.
  if (!m || Number(m[2]) > 65535 || m[1] === "unix") return undefined;
  return { kind: "tcp", host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]), tls: url?.[1] === "https" };
}

export const ADDRESS_FORMS = "host:port (like 127.0.0.1:50051), https://host:port for TLS, or unix:/path/to/socket";

/** host and port of a TCP address; `what` names where the text came from, for the message. */
export function hostPort(text: string, what = "the Bridge address"): { host: string; port: number } {
  const parsed = parseAddress(text);
  if (parsed?.kind !== "tcp") throw new LoomError("USAGE", `${what} ${JSON.stringify(text)} is not host:port`, { hint: `give ${ADDRESS_FORMS.split(",")[0]}` });
  return { host: parsed.host, port: parsed.port };
}

/** host:port, IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The address as a client dials it: `unix:/path`, or host:port without a scheme. */
export function dialString(address: BridgeAddress): string {
  return address.kind === "unix" ? `unix:${address.path}` : joinHostPort(address.host, address.port);
}
