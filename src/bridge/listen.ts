/**
 * Where the embedded Bridge listens, and who gets in (docs/security.md "Who reaches what loom
 * serves"). The gRPC server (net/grpc-server.ts) serves connections that loom accepts itself:
 * - the Unix socket (`LOOM_BRIDGE_SOCKET`, in the project's 0700 `.loom/`, made 0600): the agents
 *   loom starts use it; the file's permissions keep every other user out;
 * - the TCP address (`LOOM_BRIDGE_ADDR`) for tools, notebooks and clients the user points at it:
 *   a connection whose peer socket belongs to another local user is closed before a byte of gRPC
 *   is read (system/peer.ts). A peer that is not a local socket (another host) gets in only when
 *   the address was exposed on purpose (`[bridge] expose`).
 */
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import net from "node:net";
import type { GrpcServer } from "../net/grpc-server";
import { distrust } from "../files/trust";
import { isLoopback, tcpPeerUid } from "../system/peer";

export interface ListenOptions {
  /** host:port, an IP literal. */
  tcp: { host: string; port: number };
  /** A Unix socket path for the agents, when there is one. */
  unix?: string;
  /** Peers from other hosts may connect ([bridge] expose); local users other than the owner still may not. */
  exposed?: boolean;
  /** Told about each refused connection (once per uid). */
  onRefused?: (who: string) => void;
}

export interface Listening {
  port: number;
  close(): void;
}

const owner = typeof process.getuid === "function" ? process.getuid() : undefined;

/**
 * Whether a TCP peer may use the Bridge: the owner (or root) by its socket's uid; an unknown peer
 * only on an exposed address and not from loopback. Without /proc (macOS), loopback peers are let
 * in: the platform cannot say who they are (docs/security.md).
 */
export function admitTcp(socket: net.Socket, exposed: boolean, lookup = tcpPeerUid): { ok: boolean; who: string } {
  const ours = { address: socket.localAddress ?? "", port: socket.localPort ?? 0 };
  const peer = { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
  if (owner === undefined) return { ok: true, who: "" };
  const uid = lookup(ours, peer);
  if (uid !== undefined) return { ok: uid === owner || uid === 0, who: `uid ${uid}` };
  if (process.platform !== "linux") return { ok: true, who: "" };
  return { ok: exposed && !isLoopback(peer.address), who: peer.address };
}

function listenTcp(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Replaces a stale socket of the user's own at `path`; refuses anything else there. */
function clearSocketPath(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isSocket() || distrust(st)) throw new Error(`refusing to replace ${path}: it is ${st.isSocket() ? `a socket ${distrust(st)}` : "not a socket"}`);
  unlinkSync(path); // the supervisor holds the project lock: no live Bridge of this project listens there
}

function listenUnix(server: net.Server, path: string): Promise<void> {
  clearSocketPath(path);
  // The umask is 0177 only while the socket is made, never while anything else runs: a process
  // spawned meanwhile (an MCP server) would inherit it. The chmod covers a bind done later.
  const umask = process.umask(0o177);
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    try {
      server.listen(path, () => {
        server.off("error", reject);
        chmodSync(path, 0o600);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

/** Listens as `options` say and hands the connections it admits to `grpcServer`. */
export async function listenOwnerOnly(grpcServer: GrpcServer, options: ListenOptions): Promise<Listening> {
  const told = new Set<string>();
  const servers: net.Server[] = [];
  if (options.unix) {
    const unix = net.createServer((socket) => grpcServer.injectConnection(socket));
    await listenUnix(unix, options.unix);
    servers.push(unix);
  }
  const tcp = net.createServer((socket) => {
    const verdict = admitTcp(socket, options.exposed ?? false);
    if (verdict.ok) return grpcServer.injectConnection(socket);
    socket.destroy();
    if (!told.has(verdict.who) && told.size < 100) {
      told.add(verdict.who);
      options.onRefused?.(verdict.who);
    }
  });
  const port = await listenTcp(tcp, options.tcp.host, options.tcp.port);
  servers.push(tcp);
  return {
    port,
    close() {
      for (const s of servers) s.close();
      if (options.unix)
        try {
          unlinkSync(options.unix);
        } catch {}
    },
  };
}
