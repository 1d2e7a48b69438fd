/**
 * The orchestrator against its physical floor, in one run on this machine:
 * - `loom up --detach` until ready vs the runtime double's own time to answer a Heartbeat;
 * - `loom run --detach` with 1, 10, 50 agents vs spawning as many processes directly;
 * - restart latency after a crash (backoff set to 0) vs spawn + exit of `true`, and the first
 *   restart of a process that ran for a while (default settings: immediate) vs a spawn;
 * - `loom down` time with 50 agents; supervisor + watchdog RSS, USS and PSS with 50 agents, once settled;
 * (Log floods: bench/log-flood.ts.)
 *
 * Run: bun run build && bun bench/orchestrator.ts
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import { runtimeRelease, serveDirectory } from "../scripts/runtime-double";
import { grpcHeartbeat } from "../src/net/health";
import { benchEnv, fmt, median, memoryOf, table } from "./lib";

const LOOM = resolve(import.meta.dir, "../dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-bench-orch-"));
const mirror = serveDirectory(runtimeRelease());
const env = benchEnv(work, mirror.url);

async function loom(args: string[], cwd: string, extra: Record<string, string> = {}): Promise<number> {
  const t = performance.now();
  const p = Bun.spawn([LOOM, ...args], { cwd, env: { ...env, ...extra }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`loom ${args.join(" ")} failed (${code}): ${out}${err}`);
  return performance.now() - t;
}

const started: string[] = [];

function project(agents: number, agentScript = "#!/bin/sh\nexec sleep 600\n", toml = ""): string {
  const root = mkdtempSync(join(work, "p-"));
  started.push(root);
  mkdirSync(join(root, "agents"));
  writeFileSync(join(root, "loom.toml"), `[bridge]\nversion = "0.1.0"\n${toml}`);
  for (let i = 0; i < agents; i++) {
    writeFileSync(join(root, "agents", `a${i}`), agentScript);
    chmodSync(join(root, "agents", `a${i}`), 0o755);
  }
  return root;
}

/** The floor of a restart: spawning `sh -c script` and waiting for it, 20 times. */
async function spawnTimes(script: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await Bun.spawn(["sh", "-c", script]).exited;
    times.push(performance.now() - t);
  }
  return times;
}

const agentArgs = (root: string, n: number) => Array.from({ length: n }, (_, i) => join(root, "agents", `a${i}`));
const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const rows: (string | number)[][] = [["measure", "loom", "floor", "ratio", "note"]];

try {
  await loom(["install", "--version", "0.1.0"], work); // download once; the rest hit the cache

  // The runtime double's own time to answer a Heartbeat.
  const doubleTimes: number[] = [];
  const binary = join(work, "cache", readFileSync(join(work, "cache", "checksums.txt"), "utf8").split(/\s+/)[1]!);
  for (let i = 0; i < 5; i++) {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const t = performance.now();
    const p = Bun.spawn([binary], { env: { LOOM_BRIDGE_ADDR: `127.0.0.1:${port}`, LOOM_DASHBOARD: "false" }, stdout: "ignore", stderr: "ignore" });
    while (!(await grpcHeartbeat(`127.0.0.1:${port}`, 200)).ok) await Bun.sleep(2);
    doubleTimes.push(performance.now() - t);
    p.kill();
    await p.exited;
  }
  const upTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const root = project(0);
    upTimes.push(await loom(["up", "--detach", ...FREE], root));
    await loom(["down"], root);
  }
  rows.push([
    "up --detach until ready (ms)",
    fmt(median(upTimes)),
    fmt(median(doubleTimes)),
    fmt(median(upTimes) / median(doubleTimes), 1),
    "floor: the double alone until its Heartbeat answers",
  ]);

  for (const n of [1, 10, 50]) {
    const root = project(n);
    const t = await loom(["run", "--detach", ...FREE, ...agentArgs(root, n)], root);
    const ledger = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
    // Settled: after start-up pages were handed back and the first liveness checks ran.
    if (n === 50) await Bun.sleep(12_000);
    const sup = memoryOf(ledger.supervisor.pid);
    const dog = memoryOf(ledger.watchdog.pid);
    const down = await loom(["down"], root);
    const f = performance.now();
    const direct = Array.from({ length: n }, () => Bun.spawn(["sh", "-c", "exec sleep 600"], { stdout: "ignore" }));
    const floor = performance.now() - f + median(doubleTimes);
    for (const p of direct) p.kill();
    rows.push([`run --detach, ${n} agents (ms)`, fmt(t), fmt(floor), fmt(t / floor, 1), `floor: double ready + ${n} direct spawns`]);
    rows.push([`down, ${n} agents (ms)`, fmt(down), "", "", "SIGTERM to every group, waits for exits"]);
    rows.push([
      `supervisor + watchdog RSS / USS / PSS, ${n} agents (MB)`,
      `${fmt(sup.rss + dog.rss, 1)} / ${fmt(sup.uss + dog.uss, 1)} / ${fmt(sup.pss + dog.pss, 1)}`,
      "",
      "",
      `supervisor USS ${fmt(sup.uss, 1)} + watchdog USS ${fmt(dog.uss, 1)}${n === 50 ? ", after 12 s; goal USS <= 15" : ", just started"}`,
    ]);
  }

  {
    const root = project(1);
    const t = await loom(["run", "--detach", ...FREE, ...agentArgs(root, 1)], root, { LOOM_DETACH_SETTLE_MS: "500" });
    await loom(["down"], root);
    rows.push(["run --detach, 1 agent, default settle (ms)", fmt(t), "", "", "returns once every agent stayed up 500 ms (LOOM_DETACH_SETTLE_MS)"]);
  }

  // Restart latency: an agent that exits at once, backoff 0; start-to-start deltas.
  {
    const stamps = join(work, "stamps");
    const root = project(1, `#!/bin/sh\ndate +%s%N >> ${stamps}\nexit 1\n`);
    // In the foreground: a detached start of an agent that always fails is an exit 4 by design.
    const run = Bun.spawn([LOOM, "run", ...FREE, ...agentArgs(root, 1)], {
      cwd: root,
      env: { ...env, LOOM_RESTART_BASE_MS: "0", LOOM_CRASH_LOOP_LIMIT: "30" },
      stdout: "ignore",
      stderr: "ignore",
    });
    const deadline = Date.now() + 20_000;
    while ((Bun.file(stamps).size === 0 || readFileSync(stamps, "utf8").trim().split("\n").length < 25) && Date.now() < deadline) await Bun.sleep(50);
    run.kill("SIGTERM");
    await run.exited;
    const ns = readFileSync(stamps, "utf8").trim().split("\n").map(BigInt);
    const deltas = ns.slice(1).map((v, i) => Number(v - ns[i]!) / 1e6);
    const trueTimes = await spawnTimes("date +%s%N >/dev/null; exit 1");
    rows.push([
      "restart after a crash (ms)",
      fmt(median(deltas), 1),
      fmt(median(trueTimes), 1),
      fmt(median(deltas) / median(trueTimes), 1),
      "start-to-start, backoff 0; floor: spawn + exit of the same script",
    ]);
  }

  // The first restart of a process that ran for a while: default backoff (immediate), exit to next start.
  {
    const stamps = join(work, "stamps-healthy");
    const root = project(1, `#!/bin/sh\necho "start $(date +%s%N)" >> ${stamps}\nsleep 0.3\necho "exit $(date +%s%N)" >> ${stamps}\nexit 1\n`);
    await loom(["run", "--detach", ...FREE, ...agentArgs(root, 1)], root, { LOOM_HEALTHY_STRETCH_MS: "200", LOOM_DETACH_SETTLE_MS: "0" });
    const deadline = Date.now() + 20_000;
    const lines = () => (Bun.file(stamps).size ? readFileSync(stamps, "utf8").trim().split("\n") : []);
    while (lines().length < 21 && Date.now() < deadline) await Bun.sleep(50);
    await loom(["down"], root);
    const events = lines().map((l) => l.split(" ") as [string, string]);
    const gaps: number[] = [];
    for (let i = 1; i < events.length; i++)
      if (events[i - 1]![0] === "exit" && events[i]![0] === "start") gaps.push(Number(BigInt(events[i]![1]) - BigInt(events[i - 1]![1])) / 1e6);
    const floor = await spawnTimes("date +%s%N >/dev/null");
    rows.push([
      "first restart after a healthy run (ms)",
      fmt(median(gaps), 1),
      fmt(median(floor), 1),
      fmt(median(gaps) / median(floor), 1),
      "exit to next start, default backoff; floor: spawn + exit of sh; pm2 restarts in ~30 ms (issue 8)",
    ]);
  }

  console.log(table(rows));
} finally {
  // A bench that failed half-way must not leave a project running.
  for (const root of started) await loom(["down", "--grace", "1"], root).catch(() => {});
  mirror.stop();
  rmSync(work, { recursive: true, force: true });
}
