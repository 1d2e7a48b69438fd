/**
 * Who is on the other end of a TCP connection on this machine. Linux lists every socket of the
 * network namespace in /proc/net/tcp{,6} with the uid that created it; the peer of an accepted
 * connection is the entry whose local end is the peer's address and whose remote end is ours.
 * Loopback is shared by every user, so this is how a server on 127.0.0.1 keeps to its owner
 * (docs/security.md "Who reaches what loom serves"). Other platforms: undefined (unknown).
 */
import { readFileSync } from "node:fs";

export interface Endpoint {
  address: string;
  port: number;
}

/** "0100007F" (little-endian IPv4) or 32 hex digits (four little-endian words of IPv6) to text. */
export function decodeProcAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (const i of [3, 2, 1, 0]) bytes.push(Number.parseInt(word.slice(i * 2, i * 2 + 2), 16));
  }
  // ::ffff:a.b.c.d is how an IPv4 peer of a dual-stack socket is listed.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return canonicalIp(groups.join(":"));
}

/** One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 fully expanded in lower case. */
export function canonicalIp(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(":")) return a;
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((g) => Number.parseInt(g || "0", 16).toString(16)).join(":");
}

/** The entries of one /proc/net table: local and remote ends, state and owner uid. */
export function parseProcNet(table: string): { local: Endpoint; remote: Endpoint; state: string; uid: number }[] {
  const out: { local: Endpoint; remote: Endpoint; state: string; uid: number }[] = [];
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [la, lp] = f[1]!.split(":");
    const [ra, rp] = f[2]!.split(":");
    if (!la || !lp || !ra || !rp) continue;
    out.push({
      local: { address: decodeProcAddress(la), port: Number.parseInt(lp, 16) },
      remote: { address: decodeProcAddress(ra), port: Number.parseInt(rp, 16) },
      state: f[3]!,
      uid: Number(f[7]),
    });
  }
  return out;
}

const LISTEN = "0A";

/**
 * The uid that owns the peer socket of a connection we accepted (`ours` is our end, `peer` the
 * other), or undefined when no local socket matches: the peer is on another host or namespace,
 * already gone, or the platform has no /proc.
 */
export function tcpPeerUid(ours: Endpoint, peer: Endpoint, read: (path: string) => string = (p) => readFileSync(p, "utf8")): number | undefined {
  const want = { local: canonicalIp(peer.address), remote: canonicalIp(ours.address) };
  // A wildcard listener (0.0.0.0, ::) is reached on any of the host's addresses: the ports decide.
  const anyLocal = want.remote === "0.0.0.0" || want.remote === "0:0:0:0:0:0:0:0";
  for (const path of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let table: string;
    try {
      table = read(path);
    } catch {
      continue;
    }
    for (const e of parseProcNet(table))
      if (
        e.state !== LISTEN &&
        e.local.port === peer.port &&
        e.remote.port === ours.port &&
        canonicalIp(e.local.address) === want.local &&
        (anyLocal || canonicalIp(e.remote.address) === want.remote)
      )
        return e.uid;
  }
  return undefined;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string): boolean {
  const a = canonicalIp(address);
  return a.startsWith("127.") || a === "0:0:0:0:0:0:0:1" || a === "localhost";
}
