/**
 * A new project's first answer: `loom init`'s starter (TypeScript, the SDK) started with
 * `loom run --detach --wait-agents`, then `loom pub hello.input … --reply` to it, median of 7;
 * against `loom up --detach` (the runtime alone, no agent: the floor of a detached start) and
 * `loom ping --count 1` (a CLI client's start and one round trip: the floor of `pub --reply`).
 * The embedded Bridge, free ports. Run: bun run build && bun bench/first-answer.ts
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import { fmt, LOOM, median, table } from "./lib";

const work = mkdtempSync(join(tmpdir(), "loom-bench-first-"));
const project = join(work, "p");
const loom = (...args: string[]) => {
  const t = performance.now();
  const r = Bun.spawnSync([LOOM, ...args], { cwd: project, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`loom ${args.join(" ")}: ${r.stderr.toString()}`);
  return performance.now() - t;
};
Bun.spawnSync([LOOM, "init", project], { stdout: "ignore", stderr: "ignore" });
writeFileSync(join(project, "loom.toml"), readFileSync(join(project, "loom.toml"), "utf8").replace('mode = "full"', 'mode = "full"\nruntime = "embedded"'));
const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const runs = { run: [] as number[], reply: [] as number[], up: [] as number[], ping: [] as number[] };
try {
  for (let i = 0; i < 7; i++) {
    runs.run.push(loom("run", "--detach", "--wait-agents", ...FREE));
    runs.reply.push(loom("pub", "hello.input", '{"name": "Ada"}', "--reply"));
    loom("down");
    runs.up.push(loom("up", "--detach", ...FREE));
    runs.ping.push(loom("ping", "--count", "1"));
    loom("down");
  }
  console.log(
    table([
      ["measure (median of 7, ms)", "loom", "floor", "floor is", "loom / floor"],
      ["run --detach --wait-agents (the starter)", fmt(median(runs.run)), fmt(median(runs.up)), "up --detach (no agent)", fmt(median(runs.run) / median(runs.up), 2)],
      ["pub --reply right after", fmt(median(runs.reply)), fmt(median(runs.ping)), "ping --count 1", fmt(median(runs.reply) / median(runs.ping), 2)],
    ]),
  );
} finally {
  Bun.spawnSync([LOOM, "down"], { cwd: project, stdout: "ignore", stderr: "ignore" });
  rmSync(work, { recursive: true, force: true });
}
