/**
 * Installs loom on a runner: the release's checksums.txt first, then the archive, verified by
 * SHA-256 before extraction, kept in the runner's tool cache.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const DEFAULT_BASE = "https://github.com/loom-os/loom-cli/releases";

export function platform(os = process.platform, arch = process.arch): string {
  const o = os === "darwin" ? "darwin" : os === "win32" ? "windows" : os === "linux" ? "linux" : undefined;
  const a = arch === "x64" ? "x64" : arch === "arm64" ? "arm64" : undefined;
  if (!o || !a || (o === "windows" && a !== "x64")) throw new Error(`loom has no build for ${os}/${arch}`);
  return `${o}-${a}`;
}

async function get(url: string, token?: string): Promise<Buffer> {
  const github = /^https:\/\/(github\.com|api\.github\.com)\//.test(url);
  const res = await fetch(url, { headers: token && github ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

export interface Installed {
  path: string;
  version: string;
  cached: boolean;
}

export async function installLoom(options: { version: string; base?: string; toolCache?: string; token?: string }): Promise<Installed> {
  const base = (options.base || DEFAULT_BASE).replace(/\/+$/, "");
  const version = options.version.replace(/^v/, "") || "latest";
  const url = (file: string) => (version === "latest" ? `${base}/latest/download/${file}` : `${base}/download/v${version}/${file}`);
  const plat = platform();
  const windows = plat.startsWith("windows");
  const sums = (await get(url("checksums.txt"), options.token)).toString("utf8");
  const line = sums.split("\n").find((l) => new RegExp(`^[0-9a-fA-F]{64}\\s+\\*?loom-[^\\s]+-${plat}\\.${windows ? "zip" : "tar\\.gz"}$`).test(l.trim()));
  if (!line) throw new Error(`release ${version} has no loom for ${plat} (checked ${url("checksums.txt")})`);
  const [expected, file] = line.trim().split(/\s+\*?/) as [string, string];
  const resolved = /^loom-(.+)-[a-z]+-[a-z0-9]+(?:-[a-z]+)?\.(?:tar\.gz|zip)$/.exec(file)?.[1] ?? version;
  const exe = windows ? "loom.exe" : "loom";
  const dir = join(options.toolCache || join(tmpdir(), "loom-tool-cache"), "loom", resolved, process.arch);
  if (existsSync(join(dir, exe))) return { path: join(dir, exe), version: resolved, cached: true };

  const archive = await get(url(file), options.token);
  const actual = createHash("sha256").update(archive).digest("hex");
  if (actual !== expected.toLowerCase()) throw new Error(`checksum mismatch for ${file}: expected ${expected}, got ${actual}; nothing was installed`);
  const work = mkdtempSync(join(tmpdir(), "loom-action-"));
  try {
    writeFileSync(join(work, file), archive);
    mkdirSync(join(work, "x"));
    execFileSync("tar", ["-xf", join(work, file), "-C", join(work, "x"), exe]);
    chmodSync(join(work, "x", exe), 0o755);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, "x", exe), join(dir, exe));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { path: join(dir, exe), version: resolved, cached: false };
}
