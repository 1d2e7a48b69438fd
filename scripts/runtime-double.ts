/**
 * Builds the runtime double (test/fixtures/runtime-double.ts) with `bun build --compile` and packs
 * it like a Loom release (docs/runtime-contract.md "Releases"): the real runtime cannot be downloaded
 * here, so the tests and the demo fetch this one from a release server on loopback.
 * Cached under node_modules/.cache while the double's source is unchanged.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "pathe";
import { platformTag } from "../src/binaries/platform";

export const ROOT = resolve(import.meta.dir, "..");
export const DOUBLE_SRC = join(ROOT, "test/fixtures/runtime-double.ts");
export const RUNTIME_VERSION = "0.1.0";

const sha256 = (data: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

/** The release directory (`v0.1.0/<assets>`, `latest.txt`), built if needed. */
export function runtimeRelease(bun = process.execPath): string {
  const hash = sha256(readFileSync(DOUBLE_SRC)).slice(0, 12);
  const dir = join(ROOT, "node_modules/.cache/loom-test", `double-${hash}`);
  const release = join(dir, "release");
  if (existsSync(join(release, "ready"))) return release;
  const tag = platformTag();
  mkdirSync(join(release, `v${RUNTIME_VERSION}`), { recursive: true });
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const r = Bun.spawnSync([bun, "build", "--compile", DOUBLE_SRC, "--define", `DOUBLE_VERSION="${RUNTIME_VERSION}"`, "--outfile", join(bin, "loom-core")], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`compiling the runtime double failed: ${r.stderr}`);
  copyFileSync(join(bin, "loom-core"), join(bin, "loom-bridge"));
  let sums = "";
  for (const name of ["loom-core", "loom-bridge"]) {
    const asset = `${name}-${RUNTIME_VERSION}-${tag}.tar.gz`;
    const out = join(release, `v${RUNTIME_VERSION}`, asset);
    const p = Bun.spawnSync(["sh", "-c", `chmod 755 "${bin}/${name}" && tar -C "${bin}" -cf - ${name} | gzip -1 > "${out}"`]);
    if (p.exitCode !== 0) throw new Error(`packing ${name} failed: ${p.stderr}`);
    sums += `${sha256(readFileSync(out))}  ${asset}\n`;
  }
  writeFileSync(join(release, `v${RUNTIME_VERSION}`, "checksums.txt"), sums);
  writeFileSync(join(release, "latest.txt"), `v${RUNTIME_VERSION}\n`);
  writeFileSync(join(release, "ready"), "");
  return release;
}

/** Serves a release directory on loopback, as a mirror would (LOOM_DOWNLOAD_BASE_URL). */
export function serveDirectory(root: string): { url: string; stop(): void } {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      const file = Bun.file(join(root, path));
      return !path.includes("..") && existsSync(join(root, path)) ? new Response(file) : new Response("Not Found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}
