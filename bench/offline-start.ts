/**
 * An offline `loom run` of a new project (`loom init`), with the release host unresolvable (no
 * DNS): time from exec to `loom run --detach` returning, first start (the lookup fails at once, no
 * retries) and later starts (the failure is remembered), against `--runtime embedded`, which asks
 * nothing (the floor). Run: bun run build && bun bench/offline-start.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import { fmt, median, table } from "./lib";

const LOOM = join(resolve(import.meta.dir, ".."), "dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-bench-offline-"));
const env = { PATH: process.env.PATH, HOME: work, NO_COLOR: "1", LOOM_DOWNLOAD_BASE_URL: "https://release.invalid/loom", LOOM_CACHE_DIR: join(work, "cache") };

function run(args: string[], cwd: string): number {
  const started = performance.now();
  const r = Bun.spawnSync([LOOM, ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`loom ${args.join(" ")}: ${r.stderr}`);
  return ms;
}

const project = join(work, "demo");
run(["init", project], work);
const start = (extra: string[]) => {
  const ms = run(["run", "--detach", "--bridge-port", "0", "--dashboard-port", "0", ...extra], project);
  run(["down"], project);
  return ms;
};
const first = start([]);
const later = Array.from({ length: 5 }, () => start([]));
const floor = Array.from({ length: 5 }, () => start(["--runtime", "embedded"]));
rmSync(work, { recursive: true, force: true });
console.log(
  table([
    ["start of a new project, offline", "ms", "/ floor"],
    ["first (lookup fails, no retry)", fmt(first), fmt(first / median(floor), 2)],
    ["later (failure remembered), median of 5", fmt(median(later)), fmt(median(later) / median(floor), 2)],
    ["--runtime embedded (floor), median of 5", fmt(median(floor)), "1.00"],
  ]),
);
