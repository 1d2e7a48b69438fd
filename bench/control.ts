/**
 * Controlling a running project, in one run on this machine:
 * - `loom restart NAME` (the command until the new process runs) against `pm2 restart NAME` on the
 *   same Python script (pm2 is installed from the npm registry into a temporary directory for this
 *   run; it is no dependency of loom), and against the floor: spawning that script until it runs;
 * - `loom run --watch`: from a saved file to the agent's new process running, against the floor
 *   of the watcher's debounce plus that spawn;
 * - the supervisor's CPU while watching a tree of 10,000 files, idle for 10 s, against the same
 *   supervisor not watching.
 *
 * Run: bun run build && bun bench/control.ts
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import { WATCH_DEBOUNCE_MS } from "../src/supervisor/watch";
import { fmt, median, table } from "./lib";

const LOOM = resolve(import.meta.dir, "../dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-bench-control-"));
const env: Record<string, string> = { PATH: process.env.PATH!, HOME: work, NO_COLOR: "1", XDG_STATE_HOME: join(work, "state"), LOOM_DETACH_SETTLE_MS: "0" };
// Writes its pid to started.<pid> once it runs, then idles (as an agent does).
const AGENT = 'import os, time\nopen(f"started.{os.getpid()}", "w").close()\nwhile True:\n    time.sleep(1)\n';
const RUNS = 15;

async function run(argv: string[], cwd: string, extra: Record<string, string> = {}): Promise<string> {
  const p = Bun.spawn(argv, { cwd, env: { ...env, ...extra }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}): ${out}${err}`);
  return out;
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await Bun.sleep(1);
  }
}

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(work, "p-"));
  mkdirSync(join(root, "agents"));
  writeFileSync(join(root, "loom.toml"), '[bridge]\nruntime = "embedded"\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

const startedCount = (dir: string) => [...new Bun.Glob("started.*").scanSync(dir)].length;
const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
};

const rows: (string | number)[][] = [["measure", "loom", "peer", "floor", "loom / peer", "loom / floor", "note"]];
const cleanups: (() => Promise<unknown>)[] = [];
try {
  // The floor of a restart: the script spawned until it has run its first line.
  const floorDir = mkdtempSync(join(work, "floor-"));
  writeFileSync(join(floorDir, "agent.py"), AGENT);
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = startedCount(floorDir);
    const t = performance.now();
    const p = Bun.spawn(["python3", "agent.py"], { cwd: floorDir, env });
    await until("the floor agent", () => startedCount(floorDir) > before);
    floor.push(performance.now() - t);
    p.kill("SIGKILL");
    await p.exited;
  }

  // loom restart NAME.
  const root = project({ "agents/agent.py": AGENT });
  await run([LOOM, "run", "--detach", "--bridge-port", "0", "--dashboard-port", "0"], root);
  cleanups.push(() => run([LOOM, "down"], root));
  await until("the agent", () => startedCount(root) === 1);
  const restarts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = startedCount(root);
    const t = performance.now();
    await run([LOOM, "restart", "agent"], root);
    await until("the restarted agent", () => startedCount(root) > before);
    restarts.push(performance.now() - t);
  }

  // pm2 restart NAME, on the same script.
  let pm2: number | undefined;
  let pm2Note = "pm2 could not be installed from the npm registry";
  const pm2Dir = join(work, "pm2");
  const install = Bun.spawnSync(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", pm2Dir, "pm2@5"], { env: { ...process.env, HOME: work } });
  const pm2Bin = join(pm2Dir, "node_modules/.bin/pm2");
  if (install.exitCode === 0 && existsSync(pm2Bin)) {
    const pm2Env = { PM2_HOME: join(work, "pm2-home") };
    const pm2Root = mkdtempSync(join(work, "pm2-project-"));
    writeFileSync(join(pm2Root, "agent.py"), AGENT);
    await run([pm2Bin, "start", "agent.py", "--name", "agent", "--interpreter", "python3"], pm2Root, pm2Env);
    cleanups.push(() => run([pm2Bin, "kill"], pm2Root, pm2Env));
    await until("the pm2 agent", () => startedCount(pm2Root) === 1);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const before = startedCount(pm2Root);
      const t = performance.now();
      await run([pm2Bin, "restart", "agent"], pm2Root, pm2Env);
      await until("the pm2 restarted agent", () => startedCount(pm2Root) > before);
      times.push(performance.now() - t);
    }
    pm2 = median(times);
    pm2Note = "pm2 5 (its daemon already running), same script";
  }
  const loomRestart = median(restarts);
  rows.push([
    "restart one agent, command to new process running (ms)",
    fmt(loomRestart, 1),
    fmt(pm2, 1),
    fmt(median(floor), 1),
    pm2 ? fmt(loomRestart / pm2, 2) : "-",
    fmt(loomRestart / median(floor), 2),
    `${pm2Note}; floor: spawning it`,
  ]);

  // loom run --watch: a saved file to the new process running.
  const watched = project({ "agents/agent.py": AGENT });
  await run([LOOM, "run", "--detach", "--watch", "--bridge-port", "0", "--dashboard-port", "0"], watched);
  cleanups.push(() => run([LOOM, "down"], watched));
  await until("the watched agent", () => startedCount(watched) === 1);
  const saves: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = startedCount(watched);
    const t = performance.now();
    writeFileSync(join(watched, "agents/agent.py"), `${AGENT}# save ${i}\n`);
    await until("the agent after a save", () => startedCount(watched) > before);
    saves.push(performance.now() - t);
    await Bun.sleep(300);
  }
  const saveFloor = WATCH_DEBOUNCE_MS + median(floor);
  rows.push([
    "save to new process running, --watch (ms)",
    fmt(median(saves), 1),
    "-",
    fmt(saveFloor, 1),
    "-",
    fmt(median(saves) / saveFloor, 2),
    `floor: the ${WATCH_DEBOUNCE_MS} ms debounce + spawning it`,
  ]);

  // Supervisor CPU, idle, watching 10,000 files vs not watching.
  const idleCpu = async (watch: boolean): Promise<number> => {
    const files: Record<string, string> = {};
    const dir = project(files);
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(dir, "data", `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(dir, "data", `d${d}`, `f${f}.txt`), "x");
    }
    writeFileSync(join(dir, "agents/agent.py"), AGENT);
    await run([LOOM, "run", "--detach", ...(watch ? ["--watch"] : []), "--bridge-port", "0", "--dashboard-port", "0"], dir);
    try {
      const pid = JSON.parse(readFileSync(join(dir, ".loom/state.json"), "utf8")).supervisor.pid as number;
      await Bun.sleep(3_000); // settled: start-up done
      const before = cpuTicks(pid);
      await Bun.sleep(10_000);
      return ((cpuTicks(pid) - before) / 100 / 10) * 100; // percent of one core
    } finally {
      await run([LOOM, "down"], dir);
    }
  };
  const watching = await idleCpu(true);
  const notWatching = await idleCpu(false);
  rows.push([
    "supervisor CPU, idle 10 s, 10,000 files watched (% of a core)",
    fmt(watching, 2),
    fmt(notWatching, 2),
    "0",
    "-",
    "-",
    "peer: the same supervisor without --watch (its liveness checks every 5 s)",
  ]);
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
console.log(table(rows));
