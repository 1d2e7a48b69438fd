/** Is a port free, who holds it, and a free one when asked for port 0. */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";

export function splitAddress(address: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address)!;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

export function joinAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
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

/** Best effort: "pid 123 (python3)" for the process listening on `port`. */
export function portHolder(port: number): string | undefined {
  if (process.platform === "linux") {
    const inodes = new Set<string>();
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      try {
        for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
          const f = line.trim().split(/\s+/);
          if (f.length > 9 && f[3] === "0A" && parseInt(f[1]!.split(":")[1]!, 16) === port) inodes.add(f[9]!);
        }
      } catch {}
    }
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (m && inodes.has(m[1]!)) return `pid ${pid} (${readFileSync(`/proc/${pid}/comm`, "utf8").trim()})`;
        }
      } catch {}
    }
    return undefined;
  }
  const r = Bun.spawnSync(["lsof", "-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fpc"], { stdout: "pipe", stderr: "ignore" });
  const out = r.stdout.toString();
  const pid = /^p(\d+)$/m.exec(out)?.[1];
  const cmd = /^c(.+)$/m.exec(out)?.[1];
  return pid ? `pid ${pid}${cmd ? ` (${cmd})` : ""}` : undefined;
}
