/**
 * Download + verify + extract through `dist/loom install` against the physical floor of the same
 * work done by standard tools on the same file (`curl | sha256sum`, then `tar -xzf`), for a 100 MB
 * and a 1 GB asset served from loopback. Peak RSS must stay flat as the asset grows.
 * Also: cold `loom --version` and `loom cache list`.
 *
 * Run: bun run build && bun bench/binaries.ts [--sizes 100,1000]
 */
import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync, openSync, writeSync, closeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import { platformTag } from "../src/binaries/platform";
import { compileLoom } from "../scripts/build";
import { fmt, measure, median, table } from "./lib";

const LOOM = resolve(import.meta.dir, "../dist/loom");
const TAG = platformTag();
const sizesArg = process.argv.indexOf("--sizes");
const sizes = (sizesArg > 0 ? process.argv[sizesArg + 1]! : "100,1000").split(",").map(Number);
const work = mkdtempSync(join(tmpdir(), "loom-bench-"));

/** An executable of `mb` megabytes: a script that answers --version, padded with random bytes. */
function bigExecutable(path: string, mb: number): void {
  const fd = openSync(path, "w", 0o755);
  writeSync(fd, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "loom-core 0.1.0"; fi\nexit 0\n');
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < mb; i++) {
    crypto.getRandomValues(chunk.subarray(0, 65536));
    for (let j = 1; j < 16; j++) chunk.copyWithin(j * 65536, 0, 65536); // cheap, still incompressible enough for gzip -1
    writeSync(fd, chunk);
  }
  closeSync(fd);
  chmodSync(path, 0o755);
}

const rows: (string | number)[][] = [["asset", "tool", "time ms", "MB/s", "ratio vs floor", "peak RSS MB"]];
try {
  for (const mb of sizes) {
    const release = join(work, `release-${mb}`);
    const dir = join(release, "v0.1.0");
    mkdirSync(dir, { recursive: true });
    const src = join(work, `src-${mb}`);
    mkdirSync(src);
    bigExecutable(join(src, "loom-core"), mb);
    const asset = `loom-core-0.1.0-${TAG}.tar.gz`;
    Bun.spawnSync(["sh", "-c", `tar -C ${src} -cf - loom-core | gzip -1 > ${join(dir, asset)}`]);
    rmSync(src, { recursive: true });
    const hex = new Bun.CryptoHasher("sha256").update(readFileSync(join(dir, asset))).digest("hex");
    writeFileSync(join(dir, "checksums.txt"), `${hex}  ${asset}\n`);
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) => {
        const f = Bun.file(join(release, new URL(req.url).pathname));
        return f.size ? new Response(f) : new Response("nf", { status: 404 });
      },
    });
    // The release server runs in this process; the tools under test in child processes.
    const url = `http://127.0.0.1:${server.port}`;
    const out = join(work, `out-${mb}`);
    mkdirSync(out);
    const floorDl = await measure(["sh", "-c", `curl -fsS ${url}/v0.1.0/${asset} | tee ${out}/a.tar.gz | sha256sum`]);
    const floorX = await measure(["tar", "-xzf", `${out}/a.tar.gz`, "-C", out]);
    const floor = floorDl.ms + floorX.ms;
    const cache = join(work, `cache-${mb}`);
    const env = { PATH: process.env.PATH, HOME: work, LOOM_CACHE_DIR: cache, LOOM_DOWNLOAD_BASE_URL: url, NO_COLOR: "1" };
    const loom = await measure([LOOM, "install", "--version", "0.1.0", "--project", work], env);
    server.stop(true);
    rmSync(out, { recursive: true });
    rmSync(cache, { recursive: true });
    const label = `${mb} MB`;
    rows.push([label, "curl | sha256sum", fmt(floorDl.ms), fmt(mb / (floorDl.ms / 1000)), "", fmt(floorDl.rssMb)]);
    rows.push([label, "tar -xzf", fmt(floorX.ms), fmt(mb / (floorX.ms / 1000)), "", fmt(floorX.rssMb)]);
    rows.push([label, "floor (both)", fmt(floor), fmt(mb / (floor / 1000)), "1.00", ""]);
    rows.push([label, "loom install", fmt(loom.ms), fmt(mb / (loom.ms / 1000)), fmt(loom.ms / floor, 2), fmt(loom.rssMb)]);
    rmSync(release, { recursive: true });
  }
  const env = { PATH: process.env.PATH, HOME: work, NO_COLOR: "1" };
  const runs = async (argv: string[]) => {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) times.push((await measure(argv, env)).ms);
    return median(times);
  };
  const trueMs = await runs(["true"]);
  const versionMs = await runs([LOOM, "--version"]);
  // The shipped build (scripts/build-release.ts goes through the same compileLoom) and a cold start:
  // the page cache dropped first, where this machine lets us.
  const shipped = join(work, "loom-shipped");
  compileLoom(shipped, { version: "0.1.0" });
  const shippedMs = await runs([shipped, "--version"]);
  const dropCaches = () => Bun.spawnSync(["sh", "-c", "sync && echo 3 > /proc/sys/vm/drop_caches"]).exitCode === 0;
  const cold = dropCaches() ? (await measure([LOOM, "--version"], env)).ms : undefined;
  const listMs = await runs([LOOM, "cache", "list"]);
  rows.push(["-", "spawn `true` (floor)", fmt(trueMs, 1), "", "1.00", ""]);
  rows.push(["-", "loom --version", fmt(versionMs, 1), "", fmt(versionMs / trueMs, 1), ""]);
  rows.push(["-", "loom --version (release build)", fmt(shippedMs, 1), "", fmt(shippedMs / trueMs, 1), ""]);
  rows.push(["-", "loom --version, page cache dropped", cold === undefined ? "n/a" : fmt(cold, 1), "", cold === undefined ? "" : fmt(cold / trueMs, 1), ""]);
  rows.push(["-", "loom cache list", fmt(listMs, 1), "", fmt(listMs / trueMs, 1), ""]);
  console.log(table(rows));
} finally {
  rmSync(work, { recursive: true, force: true });
}
