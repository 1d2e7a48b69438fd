/**
 * Releases in the layouts of docs/runtime-contract.md, built in memory with the test tar writer
 * (Bun.Archive cannot create executable entries; no child process), and a release server on loopback (`Bun.serve({ port: 0 })`) that
 * records every request and can be told to misbehave per path.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, appendFileSync } from "node:fs";
import { join } from "pathe";
import type { Server } from "bun";
import { platformTag } from "../../src/binaries/platform";
import { tempDir } from "./tmp";
import { tar } from "../fixtures/make-archive";

export const TAG = platformTag();

export function sha256(data: string | Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

/** A stand-in runtime binary: a shell script that answers `--version`. */
export function versionScript(name: string, version: string, body = "echo running; exit 0"): string {
  return `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "${name} ${version}"; exit 0; fi\n${body}\n`;
}

export interface AssetSpec {
  name: string;
  version: string;
  /** Executable content (default: versionScript). */
  content?: string;
  /** Publish `<asset>.sha256` (default true). */
  shaFile?: boolean;
  /** List the asset in checksums.txt (default true). */
  inChecksums?: boolean;
  /** Publish a wrong checksum. */
  wrongChecksum?: boolean;
}

export function tarGz(files: Record<string, string>, out: string): void {
  const entries = Object.entries(files).map(([name, content]) => ({ name, data: Buffer.from(content), mode: 0o755 }));
  writeFileSync(out, Bun.gzipSync(new Uint8Array(tar(entries))));
}

export function assetFileName(name: string, version: string): string {
  return `${name}-${version}-${TAG}.tar.gz`;
}

/** Adds an asset to the release tree `root` (root/v<version>/...). Returns the asset's path. */
export function addAsset(root: string, spec: AssetSpec): string {
  const dir = join(root, `v${spec.version}`);
  mkdirSync(dir, { recursive: true });
  const asset = assetFileName(spec.name, spec.version);
  const path = join(dir, asset);
  tarGz({ [spec.name]: spec.content ?? versionScript(spec.name, spec.version) }, path);
  const hex = spec.wrongChecksum ? "0".repeat(64) : sha256(readFileSync(path));
  if (spec.shaFile ?? true) writeFileSync(`${path}.sha256`, `${hex}  ${asset}\n`);
  if (spec.inChecksums ?? true) appendFileSync(join(dir, "checksums.txt"), `${hex}  ${asset}\n`);
  return path;
}

export function newRelease(specs: AssetSpec[], latest?: string): string {
  const root = tempDir("loom-release-");
  for (const s of specs) addAsset(root, s);
  if (latest) writeFileSync(join(root, "latest.txt"), `${latest}\n`);
  return root;
}

export interface Recorded {
  path: string;
  headers: Record<string, string>;
}

export type Override = (req: Request, count: number) => Response | undefined | Promise<Response | undefined>;

export interface ReleaseServer {
  url: string;
  requests: Recorded[];
  /** Replace the answer for a path; returning undefined serves the file as usual. */
  on(path: string, handler: Override): void;
  count(suffix: string): number;
  stop(): void;
}

export function serveRelease(root: string): ReleaseServer {
  const requests: Recorded[] = [];
  const overrides = new Map<string, Override>();
  const counts = new Map<string, number>();
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      requests.push({ path, headers: Object.fromEntries(req.headers) });
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const custom = await overrides.get(path)?.(req, n);
      if (custom) return custom;
      const file = join(root, path);
      if (!path.includes("..") && existsSync(file) && !file.endsWith("/")) return new Response(Bun.file(file));
      return new Response("Not Found", { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    on: (path, handler) => void overrides.set(path, handler),
    count: (suffix) => requests.filter((r) => r.path.endsWith(suffix)).length,
    stop: () => server.stop(true),
  };
}

// Bun's fetch sends even loopback requests through HTTP(S)_PROXY; tests talk to loopback only.
for (const k of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"]) delete process.env[k];

/**
 * A raw HTTP/1.1 server over TCP for answers Bun.serve will not send: a Content-Length larger
 * than the body that follows (a transfer cut short). Serves files from `root`; paths ending with
 * `truncate` get half their bytes and a closed connection.
 */
export function serveTruncating(root: string, truncate: string): { url: string; stop(): void } {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        const path = /^GET (\S+)/.exec(data.toString())?.[1] ?? "/";
        const file = join(root, decodeURIComponent(path));
        if (!existsSync(file) || path.includes("..")) {
          socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          return;
        }
        const bytes = readFileSync(file);
        const body = path.endsWith(truncate) ? bytes.subarray(0, bytes.length >> 1) : bytes;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`);
        socket.end(body);
      },
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}
