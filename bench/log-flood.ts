/**
 * An agent floods its stdout with 500 MB of 100-byte lines; how fast does each supervisor get it
 * into the agent's log file, and how much memory does the supervisor take meanwhile?
 * - floor: `cat | cat > file` (the same bytes through a pipe and a second process, no stamping);
 * - supervisord (Debian's `supervisor` package; measured only when present): plain `read()`
 *   into a buffer, written through, no times;
 * - loom: every line stamped with the time it was read, by its log relay (logs/relay.ts) and, for
 *   comparison, with LOOM_LOG_RELAY=streams (Bun's streams on the supervisor's thread).
 * Timed from the agent's own start (it writes the time), so start-up is not in it; rounds
 * interleaved, median of 3. The supervisor's peak RSS is the kernel's VmHWM; its peak private
 * memory (USS) and proportional share (PSS) are sampled every 20 ms.
 *
 * Run: bun run build && bun bench/log-flood.ts [--mb 500]
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import { runtimeRelease, serveDirectory } from "../scripts/runtime-double";
import { LOOM, benchEnv, fmt, median, memoryOf, numberFlag, table } from "./lib";

const MB = numberFlag("mb", 500);
const work = mkdtempSync(join(tmpdir(), "loom-bench-flood-"));
const mirror = serveDirectory(runtimeRelease());
const env = benchEnv(work, mirror.url, { LOOM_LOG_MAX_BYTES: String(1e12) });
const src = join(work, "flood.txt");
const t0 = join(work, "t0");
const agent = `#!/bin/sh\ndate +%s%N > ${t0}\ncat ${src}\nexec sleep 600\n`;

async function sh(argv: string[], cwd = work, extra: Record<string, string> = {}): Promise<void> {
  const p = Bun.spawn(argv, { cwd, env: { ...env, ...extra }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}): ${out}${err}`);
}

interface Round {
  ms: number;
  peakRss: number;
  peakUss: number;
  peakPss: number;
}

/** Waits until `log` holds `bytes`, sampling the supervisor's memory; ms from the agent's start. */
async function watch(log: string, bytes: number, supervisorPid: () => number | undefined): Promise<Round> {
  let peakUss = 0;
  let peakPss = 0;
  let pid: number | undefined;
  const deadline = Date.now() + 120_000;
  while ((statSync(log, { throwIfNoEntry: false })?.size ?? 0) < bytes) {
    if (Date.now() > deadline) throw new Error(`${log} did not reach ${bytes} bytes in 120 s`);
    pid ??= supervisorPid();
    if (pid) {
      const m = memoryOf(pid);
      peakUss = Math.max(peakUss, m.uss);
      peakPss = Math.max(peakPss, m.pss);
    }
    await Bun.sleep(20);
  }
  const ms = Date.now() - Number(readFileSync(t0, "utf8")) / 1e6;
  const peakRss = pid ? Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024 : 0;
  return { ms, peakRss, peakUss, peakPss };
}

async function floor(): Promise<number> {
  const t = performance.now();
  await sh(["sh", "-c", `cat ${src} | cat > ${join(work, "copy.txt")}`]);
  const ms = performance.now() - t;
  await settle(join(work, "copy.txt"));
  return ms;
}

/**
 * Each round writes 500 MB: its files go and the rest reaches the disk before the next one, so no
 * round pays for the one before (the kernel throttles a writer once too much waits to be written).
 */
async function settle(path: string): Promise<void> {
  rmSync(path, { recursive: true, force: true });
  await sh(["sync"]);
}

async function loomRound(extra: Record<string, string> = {}): Promise<Round> {
  const root = mkdtempSync(join(work, "p-"));
  mkdirSync(join(root, "agents"));
  writeFileSync(join(root, "loom.toml"), `[bridge]\nversion = "0.1.0"\n`);
  writeFileSync(join(root, "agents", "flood"), agent);
  chmodSync(join(root, "agents", "flood"), 0o755);
  await sh([LOOM, "run", "--detach", "--bridge-port", "0", "--dashboard-port", "0", join(root, "agents", "flood")], root, extra);
  try {
    const state = join(root, ".loom/state.json");
    return await watch(join(root, ".loom/logs/flood.log"), MB * 1e6, () => JSON.parse(readFileSync(state, "utf8")).supervisor.pid);
  } finally {
    await sh([LOOM, "down", "--grace", "1"], root).catch(() => {});
    await settle(root);
  }
}

async function supervisordRound(): Promise<Round> {
  const dir = mkdtempSync(join(work, "sd-"));
  writeFileSync(join(dir, "flood"), agent);
  chmodSync(join(dir, "flood"), 0o755);
  const conf = join(dir, "conf");
  const log = join(dir, "flood.log");
  writeFileSync(
    conf,
    `[supervisord]\npidfile=${dir}/pid\nlogfile=${dir}/log\n[unix_http_server]\nfile=${dir}/sock\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[supervisorctl]\nserverurl=unix://${dir}/sock\n` +
      `[program:flood]\ncommand=${dir}/flood\nstdout_logfile=${log}\nstdout_logfile_maxbytes=0\n`,
  );
  await sh(["/usr/bin/supervisord", "-c", conf], dir);
  try {
    const pid = () => (existsSync(join(dir, "pid")) ? Number(readFileSync(join(dir, "pid"), "utf8")) || undefined : undefined);
    return await watch(log, MB * 1e6, pid);
  } finally {
    await sh(["/usr/bin/supervisorctl", "-c", conf, "shutdown"], dir).catch(() => {});
    await settle(dir);
  }
}

try {
  writeFileSync(src, `${"x".repeat(99)}\n`.repeat(MB * 10_000));
  const peer = existsSync("/usr/bin/supervisord");
  const floors: number[] = [];
  const looms: Round[] = [];
  const peers: Round[] = [];
  const streams: Round[] = [];
  for (let round = 0; round < 3; round++) {
    floors.push(await floor());
    if (peer) peers.push(await supervisordRound());
    rmSync(t0, { force: true });
    looms.push(await loomRound());
    rmSync(t0, { force: true });
    streams.push(await loomRound({ LOOM_LOG_RELAY: "streams" }));
  }
  const speed = (ms: number[]) => MB / (median(ms) / 1000);
  const pipe = speed(floors);
  const row = (name: string, rounds: Round[]) => {
    const s = speed(rounds.map((r) => r.ms));
    return [
      name,
      fmt(s),
      fmt(s / pipe, 2),
      fmt(Math.max(...rounds.map((r) => r.peakRss))),
      fmt(Math.max(...rounds.map((r) => r.peakUss))),
      fmt(Math.max(...rounds.map((r) => r.peakPss))),
    ];
  };
  const rows: (string | number)[][] = [[`${MB} MB flood`, "MB/s", "/ pipe", "peak RSS MB", "peak USS MB", "peak PSS MB"]];
  rows.push(["cat | cat > file (floor)", fmt(pipe), "1.00", "-", "-", "-"]);
  if (peer) rows.push(row("supervisord 4", peers));
  else rows.push(["supervisord: not installed (apt-get install supervisor)", "-", "-", "-", "-", "-"]);
  rows.push(row("loom (each line stamped)", looms));
  rows.push(row("loom, Bun's streams (LOOM_LOG_RELAY=streams)", streams));
  console.log(table(rows));
} finally {
  mirror.stop();
  rmSync(work, { recursive: true, force: true });
}
