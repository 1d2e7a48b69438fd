/**
 * A SIGKILLed agent's replacement: from the kill to its first line in loom's log file, against
 * the floor of starting the same Python script and reading its first line from a pipe (issue 20:
 * at most the script's own start + 10 ms), and against pm2 5 (from the npm registry, into a
 * temporary directory) restarting the same script into its own log file (issue 30: ≤ pm2's in
 * the same run). The agent prints one line and waits.
 *
 * Run: bun run build && bun bench/restart-latency.ts [--rounds 20]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import { fmt, loomIn, median, numberFlag, table } from "./lib";

const ROUNDS = numberFlag("rounds", 20);
const PYTHON = "/usr/bin/python3";
const root = mkdtempSync(join(tmpdir(), "loom-bench-restart-"));
// A stretch of 1 s counts as healthy, so every kill below gets the immediate first restart.
const env = {
  PATH: process.env.PATH!,
  HOME: root,
  NO_COLOR: "1",
  XDG_STATE_HOME: join(root, "state"),
  LOOM_DETACH_SETTLE_MS: "0",
  LOOM_PYTHON: PYTHON,
  LOOM_HEALTHY_STRETCH_MS: "1000",
};
mkdirSync(join(root, "agents"));
const script = join(root, "agents/hello.py");
writeFileSync(script, 'import time\nprint("hello", flush=True)\ntime.sleep(600)\n');
writeFileSync(join(root, "loom.toml"), '[bridge]\nruntime = "embedded"\nmode = "bridge-only"\n[agents.hello]\nrestart = "always"\n');

/** The floor: spawn the script, read its first line from the pipe. */
async function scriptStart(): Promise<number> {
  const t = performance.now();
  const p = Bun.spawn([PYTHON, script], { stdout: "pipe", env });
  const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  const ms = performance.now() - t;
  p.kill("SIGKILL");
  await p.exited;
  return ms;
}

const loom = (args: string[]) => loomIn(root, env, args);

const log = join(root, ".loom/logs/hello.log");
const hellos = (file = log) => (readFileSync(file, "utf8").match(/(^| )hello$/gm) ?? []).length;

/** Resolves once `file` has grown and holds more than `before` lines of hello (inotify, no polling). */
function nextHello(file: string, size: number, before: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (statSync(file).size === size || hellos(file) === before) return;
      watcher.close();
      resolve();
    };
    const watcher = watch(file, check);
    check();
  });
}

/** The same kills under pm2: its daemon restarts the script at once (autorestart, no delay). */
async function pm2Restarts(): Promise<number[] | string> {
  const dir = join(root, "pm2");
  const install = Bun.spawnSync(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", dir, "pm2@5"], { env: { ...process.env, HOME: root } });
  const pm2 = join(dir, "node_modules/.bin/pm2");
  if (install.exitCode !== 0 || !existsSync(pm2)) return "pm2 could not be installed from the npm registry";
  const home = join(root, "pm2-home");
  const out = join(root, "pm2-hello.log");
  const pm2Env = { ...env, PM2_HOME: home };
  const config = { apps: [{ name: "hello", script, interpreter: PYTHON, autorestart: true, restart_delay: 0, out_file: out, error_file: join(root, "pm2-hello.err") }] };
  writeFileSync(join(root, "ecosystem.config.js"), `module.exports = ${JSON.stringify(config)};\n`);
  Bun.spawnSync([pm2, "start", join(root, "ecosystem.config.js")], { cwd: root, env: pm2Env, stdout: "ignore", stderr: "ignore" });
  const times: number[] = [];
  try {
    while (!existsSync(out) || hellos(out) < 1) await Bun.sleep(5);
    for (let i = 0; i < ROUNDS; i++) {
      await Bun.sleep(1_100);
      const pid = Number(readFileSync(join(home, "pids/hello-0.pid"), "utf8"));
      const [size, before] = [statSync(out).size, hellos(out)];
      const t = performance.now();
      process.kill(pid, "SIGKILL");
      await nextHello(out, size, before);
      times.push(performance.now() - t);
    }
  } finally {
    Bun.spawnSync([pm2, "kill"], { cwd: root, env: pm2Env, stdout: "ignore", stderr: "ignore" });
  }
  return times;
}
const pidOf = () => JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8")).children.hello.pid as number;
const restarts: number[] = [];
let pm2: number[] | string = "not measured";
const floors: number[] = [];
/** From the log's own times (ms): the kill to the exit noticed, to the new spawn, to its first line read. */
const parts: [number, number, number][] = [];
function breakdown(killedAt: number): void {
  const lines = readFileSync(log, "utf8").trimEnd().split("\n").slice(-3);
  const time = (l: string | undefined, re: RegExp) => Date.parse(re.exec(l ?? "")?.[1] ?? "");
  const ended = time(lines[0], /^\S+ --- loom (\S+) hello ended/);
  const started = time(lines[1], /^\S+ --- loom (\S+) start hello/);
  const hello = time(lines[2], /^(\S+) hello$/);
  if (ended && started && hello) parts.push([ended - killedAt, started - ended, hello - started]);
}
try {
  await loom(["run", "--detach", "--bridge-port", "0"]);
  while (hellos() < 1) await Bun.sleep(5);
  for (let i = 0; i < ROUNDS; i++) {
    floors.push(await scriptStart());
    await Bun.sleep(300); // a quiet machine between rounds; the agent lived long enough to count as healthy
    const before = hellos();
    const size = statSync(log).size;
    const t = performance.now();
    const killedAt = Date.now();
    process.kill(pidOf(), "SIGKILL");
    // Woken by inotify on each write: no polling that would take a core from loom and Python.
    await nextHello(log, size, before);
    restarts.push(performance.now() - t);
    breakdown(killedAt);
    await Bun.sleep(1_100); // past the healthy stretch, so the next restart is immediate again
  }
  await loom(["down"]);
  pm2 = await pm2Restarts();
} finally {
  await loom(["down"]).catch((e) => console.error(e));
  rmSync(root, { recursive: true, force: true });
}
const r = median(restarts);
const f = median(floors);
console.log(
  table([
    ["measure (median of " + ROUNDS + ")", "ms"],
    ["SIGKILL to the replacement's first line in loom's log", fmt(r, 1)],
    ["the script's own start to its first line (floor)", fmt(f, 1)],
    ["loom's part (difference; goal ≤ 10 ms)", fmt(r - f, 1)],
    ["pm2 5, the same kill to the first line in its log (peer; goal: loom ≤ pm2)", typeof pm2 === "string" ? pm2 : fmt(median(pm2), 1)],
    ["  kill to the exit noticed (pipes drained)", fmt(median(parts.map((p) => p[0])), 1)],
    ["  exit noticed to the replacement spawned", fmt(median(parts.map((p) => p[1])), 1)],
    ["  spawned to its first line read", fmt(median(parts.map((p) => p[2])), 1)],
  ]),
);
