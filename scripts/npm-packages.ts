/**
 * The npm channel, as esbuild and Biome ship theirs: one package per platform holding the compiled
 * executable (`os`, `cpu` and `libc` say where it runs, so npm installs only the matching one), and
 * the main package `@loom-os/loom` with those as optionalDependencies, a small launcher for its
 * `loom` bin (Node runs it; it execs the platform's executable), and the library: src/index.ts
 * bundled for Bun (it uses Bun's APIs: Bun.spawn, Bun.serve, bun:ffi, so Node cannot import it)
 * with its .d.ts types. No install script, nothing downloaded at install time: npm's integrity
 * hashes cover every file. Written as `npm pack` tarballs into `<outDir>`.
 */
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "pathe";
import pkg from "../package.json" with { type: "json" };
import type { ReleaseTarget } from "./release-targets";

const ROOT = resolve(import.meta.dir, "..");
export const NPM_SCOPE = "@loom-os";
export const MAIN_PACKAGE = `${NPM_SCOPE}/loom`;

/** npm's names for a release target; the baseline build has none (npm cannot choose by CPU features). */
export function npmPlatform(t: ReleaseTarget): { key: string; os: string; cpu: string; libc?: string } | undefined {
  const [os, arch, variant] = t.platform.split("-") as [string, string, string?];
  if (variant === "baseline") return undefined;
  const npmOs = os === "windows" ? "win32" : os;
  return { key: `${npmOs}-${arch}${variant ? `-${variant}` : ""}`, os: npmOs, cpu: arch, ...(os === "linux" ? { libc: variant === "musl" ? "musl" : "glibc" } : {}) };
}

function run(argv: string[], cwd = ROOT): string {
  const r = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, BUN_BE_BUN: "1" } });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed:\n${r.stderr}`);
  return r.stdout.toString();
}

const pack = (dir: string, outDir: string) => run(["npm", "pack", "--silent", "--pack-destination", outDir], dir).trim();

const LAUNCHER = `#!/usr/bin/env node
// The \`loom\` command of ${MAIN_PACKAGE}: runs the executable of this platform's package.
"use strict";
const { spawnSync } = require("node:child_process");
const musl = process.platform === "linux" && !process.report?.getReport()?.header?.glibcVersionRuntime;
const key = \`\${process.platform}-\${process.arch}\${musl ? "-musl" : ""}\`;
const name = \`${NPM_SCOPE}/loom-\${key}\`;
let exe;
try {
  exe = require.resolve(\`\${name}/bin/loom\${process.platform === "win32" ? ".exe" : ""}\`);
} catch {
  console.error(\`loom: no executable for \${key}: the optional dependency \${name} is not installed (npm install --include=optional), or loom is not built for this platform\`);
  process.exit(1);
}
const r = spawnSync(exe, process.argv.slice(2), { stdio: "inherit" });
if (r.error) {
  console.error(\`loom: cannot run \${exe}: \${r.error.message}\`);
  process.exit(1);
}
process.exit(r.status ?? (r.signal ? 128 + (require("node:os").constants.signals[r.signal] ?? 1) : 1));
`;

/** Writes the platform packages and the main package as tarballs into `outDir`; returns their file names. */
export function npmPackages(version: string, executables: { target: ReleaseTarget; exe: string }[], outDir: string): string[] {
  const work = join(outDir, ".npm-work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const tarballs: string[] = [];
  const optional: Record<string, string> = {};
  const common = { version, repository: { type: "git", url: "git+https://github.com/loom-os/loom-cli.git" }, homepage: "https://github.com/loom-os/loom-cli" };
  for (const { target, exe } of executables) {
    const p = npmPlatform(target);
    if (!p) continue;
    const dir = join(work, p.key);
    mkdirSync(join(dir, "bin"), { recursive: true });
    const file = join(dir, "bin", target.windows ? "loom.exe" : "loom");
    copyFileSync(exe, file);
    chmodSync(file, 0o755);
    const name = `${NPM_SCOPE}/loom-${p.key}`;
    const manifest = {
      name,
      ...common,
      description: `The loom executable for ${p.key} (installed by ${MAIN_PACKAGE})`,
      os: [p.os],
      cpu: [p.cpu],
      ...(p.libc ? { libc: [p.libc] } : {}),
      preferUnplugged: true,
    };
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    tarballs.push(pack(dir, outDir));
    optional[name] = version;
  }
  const main = join(work, "loom");
  mkdirSync(join(main, "bin"), { recursive: true });
  writeFileSync(join(main, "bin/loom.cjs"), LAUNCHER);
  chmodSync(join(main, "bin/loom.cjs"), 0o755);
  const define = ["--define", `LOOM_BUILD_VERSION="${version}"`];
  // The library and its CLI find the log relay's worker next to them (src/logs/relay.ts).
  const lib = [...define, "--define", 'LOOM_RELAY_WORKER="./relay-worker.js"'];
  run([process.execPath, "build", "src/index.ts", "--target=bun", "--format=esm", "--outfile", join(main, "lib/index.js"), ...lib, "--define", 'LOOM_LIBRARY_CLI="cli.js"']);
  run([process.execPath, "build", "src/cli/bin.ts", "--target=bun", "--format=esm", "--outfile", join(main, "lib/cli.js"), ...lib]);
  run([process.execPath, "build", "src/logs/relay-worker.ts", "--target=bun", "--format=esm", "--outfile", join(main, "lib/relay-worker.js")]);
  run([join(ROOT, "node_modules/.bin/tsc"), "-p", "scripts/tsconfig.lib.json", "--outDir", join(main, "lib")]);
  const manifest = {
    name: MAIN_PACKAGE,
    ...common,
    description: pkg.description,
    type: "module",
    bin: { loom: "bin/loom.cjs" },
    exports: { ".": { types: "./lib/index.d.ts", bun: "./lib/index.js" } },
    engines: { bun: ">=1.4", node: ">=18" },
    optionalDependencies: optional,
  };
  writeFileSync(join(main, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(main, "README.md"),
    `# ${MAIN_PACKAGE}\n\nloom runs Loom projects. \`npx ${MAIN_PACKAGE} run\`, or install it and run \`loom\`: the executable of your platform comes as an optional dependency (no download at install time).\n\nThe library (\`import { runOrchestrator } from "${MAIN_PACKAGE}"\`) needs Bun: it uses Bun's APIs. See https://github.com/loom-os/loom-cli\n`,
  );
  tarballs.push(pack(main, outDir));
  rmSync(work, { recursive: true, force: true });
  return tarballs;
}
