/**
 * `bun run build:release [--version V]`: cross-compiles loom for every release target into
 * dist/release/: one archive per target (`loom` at its root; `loom.exe` in a zip for Windows),
 * checksums.txt over all archives, the rendered Homebrew formula, and the npm packages in
 * dist/release/npm/ (npm-packages.ts). Bun fetches each target's
 * runtime from the npm registry, so this works where only the registry is reachable.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "pathe";
import pkg from "../package.json" with { type: "json" };
import { compileLoom } from "./build";
import { npmPackages } from "./npm-packages";
import { renderFormula } from "./render-formula";
import { RELEASE_TARGETS, archiveName } from "./release-targets";
import { zipFiles } from "./zip";

const ROOT = resolve(import.meta.dir, "..");

export async function buildRelease(version: string, outDir = join(ROOT, "dist/release"), only?: string[]): Promise<{ archive: string; size: number; binarySize: number }[]> {
  rmSync(outDir, { recursive: true, force: true });
  const work = join(outDir, ".work");
  mkdirSync(work, { recursive: true });
  const results: { archive: string; size: number; binarySize: number }[] = [];
  const executables: { target: (typeof RELEASE_TARGETS)[number]; exe: string }[] = [];
  let sums = "";
  for (const target of RELEASE_TARGETS.filter((t) => !only || only.includes(t.platform))) {
    const dir = join(work, target.platform);
    mkdirSync(dir, { recursive: true });
    const exe = join(dir, target.windows ? "loom.exe" : "loom");
    compileLoom(exe, { target: target.bun, version }); // the same build as the tested dist/loom
    chmodSync(exe, 0o755);
    const archive = join(outDir, archiveName(version, target));
    if (target.windows) writeFileSync(archive, zipFiles([{ name: "loom.exe", data: readFileSync(exe) }]));
    else {
      const t = Bun.spawnSync(["tar", "-czf", archive, "-C", dir, "loom"]);
      if (t.exitCode !== 0) throw new Error(`packing ${archive} failed: ${t.stderr}`);
    }
    sums += `${new Bun.CryptoHasher("sha256").update(readFileSync(archive)).digest("hex")}  ${archiveName(version, target)}\n`;
    results.push({ archive, size: statSync(archive).size, binarySize: statSync(exe).size });
    executables.push({ target, exe });
  }
  npmPackages(version, executables, join(outDir, "npm"));
  writeFileSync(join(outDir, "checksums.txt"), sums);
  if (!only) writeFileSync(join(outDir, "loom.rb"), renderFormula(sums, version));
  rmSync(work, { recursive: true, force: true });
  return results;
}

if (import.meta.main) {
  const i = process.argv.indexOf("--version");
  const version = (i > 0 ? process.argv[i + 1]! : pkg.version).replace(/^v/, "");
  const results = await buildRelease(version);
  for (const r of results)
    console.log(`${r.archive.split("/").pop()!.padEnd(40)} archive ${(r.size / 1e6).toFixed(1).padStart(6)} MB   binary ${(r.binarySize / 1e6).toFixed(1).padStart(6)} MB`);
  console.log(`checksums.txt and loom.rb in ${resolve(ROOT, "dist/release")}`);
}
