/** Is a port free, who holds it, and a free one when asked for port 0. */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { lookup } from "node:dns/promises";
import { createServer, isIP } from "node:net";
import { LoomError } from "../errors";
import { hostPort, joinHostPort } from "./address";

/**
 * The runtime parses LOOM_BRIDGE_ADDR as a socket address: an IP literal, never a host name
 * (docs/runtime-contract.md). `localhost:50051` becomes `127.0.0.1:50051`, for the runtime and the
 * agents alike.
 */
export async function ipAddress(address: string, hint = 'write an IP address in [bridge] address (like "127.0.0.1:50051"), as the runtime needs one'): Promise<string> {
  const { host, port } = hostPort(address);
  if (isIP(host)) return address;
  try {
    const found = await lookup(host, { family: 4 }).catch(() => lookup(host));
    return joinHostPort(found.address, port);
  } catch (error) {
    throw new LoomError("CONFIG", `cannot resolve the bridge address's host ${JSON.stringify(host)} (${(error as NodeJS.ErrnoException).code ?? error})`, { hint, cause: error });
  }
}

/** Resolves to the bound port, or rejects with the listen error (EADDRINUSE, EACCES, ...). */
export function tryListen(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

export async function freePort(host: string): Promise<number> {
  return tryListen(host, 0);
}

/** Linux: the pids with a listening socket on `port` (from /proc/net/tcp{,6} and each process's fds). */
export function listenersOf(port: number): number[] {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && f[3] === "0A" && parseInt(f[1]!.split(":")[1]!, 16) === port) inodes.add(f[9]!);
      }
    } catch {}
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) {
          pids.push(Number(pid));
          break;
        }
      }
    } catch {}
  }
  return pids;
}

/** Best effort: "pid 123 (python3)" for the process listening on `port`. */
export function portHolder(port: number): string | undefined {
  if (process.platform === "linux") {
    const pid = listenersOf(port)[0];
    if (pid === undefined) return undefined;
    let comm = "";
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {}
    return `pid ${pid}${comm ? ` (${comm})` : ""}`;
  }
  const r = Bun.spawnSync(["lsof", "-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fpc"], { stdout: "pipe", stderr: "ignore" });
  const out = r.stdout.toString();
  const pid = /^p(\d+)$/m.exec(out)?.[1];
  const cmd = /^c(.+)$/m.exec(out)?.[1];
  return pid ? `pid ${pid}${cmd ? ` (${cmd})` : ""}` : undefined;
}
