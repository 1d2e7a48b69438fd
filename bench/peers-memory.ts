/**
 * What it costs to keep 50 agents running, in memory, against the supervisors people use instead
 * (issue 20): the whole process tree of each (loom: supervisor, watchdog, runtime; pm2: its
 * daemon; supervisord: itself), as RSS, USS and PSS (shared pages counted once over the tree),
 * the agents (`sleep`) left out, 5 s after everything runs. loom twice: as it ships, and with
 * LOOM_PAGEOUT=0 (start-up pages of the executable not handed back), to see whether handing them
 * back lowers what the tree needs (USS, PSS) or only RSS.
 *
 * pm2 5 is installed from the npm registry into a temporary directory; supervisord is Debian's
 * `supervisor` package (apt-get install supervisor), measured only when present.
 * Run: bun run build && bun bench/peers-memory.ts
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import { fmt, memoryOf, table } from "./lib";

const AGENTS = 50;
const LOOM = resolve(import.meta.dir, "../dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-bench-peers-"));
const env: Record<string, string> = { PATH: process.env.PATH!, HOME: work, NO_COLOR: "1", XDG_STATE_HOME: join(work, "state"), LOOM_DETACH_SETTLE_MS: "0" };
type Mem = ReturnType<typeof memoryOf>;
const sum = (ms: Mem[]): Mem => ms.reduce((a, m) => ({ rss: a.rss + m.rss, uss: a.uss + m.uss, pss: a.pss + m.pss }), { rss: 0, uss: 0, pss: 0 });

async function run(argv: string[], cwd: string, extra: Record<string, string> = {}): Promise<string> {
  const p = Bun.spawn(argv, { cwd, env: { ...env, ...extra }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}): ${out}${err}`);
  return out;
}

/** How many `sleep` agents run with `parent` as their parent. */
function agentsUnder(parent: number): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p)))
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.includes("(sleep)") && Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === parent) n++;
    } catch {}
  return n;
}

async function settled(parent: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (agentsUnder(parent) < AGENTS && Date.now() < end) await Bun.sleep(50);
  await Bun.sleep(5_000);
}

const rows: (string | number)[][] = [["tree (50 agents, not counted)", "processes", "RSS MB", "USS MB", "PSS MB"]];
const add = (name: string, parts: Mem[]) => {
  const m = sum(parts);
  rows.push([name, parts.length, fmt(m.rss, 1), fmt(m.uss, 1), fmt(m.pss, 1)]);
};

async function loom(extra: Record<string, string>, label: string, mode: string): Promise<void> {
  const root = mkdtempSync(join(work, "loom-"));
  let toml = `[bridge]\nruntime = "embedded"\nmode = "${mode}"\n`;
  for (let i = 0; i < AGENTS; i++) toml += `[agents.a${i}]\ncommand = ["sleep", "100000"]\n`;
  writeFileSync(join(root, "loom.toml"), toml);
  await run([LOOM, "run", "--detach", "--bridge-port", "0", "--dashboard-port", "0"], root, extra);
  try {
    const ledger = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
    await settled(ledger.supervisor.pid);
    const sup = memoryOf(ledger.supervisor.pid);
    const dog = memoryOf(ledger.watchdog.pid);
    const runtime = memoryOf((ledger.children.core ?? ledger.children.bridge).pid);
    add(`loom ${label}: supervisor + watchdog`, [sup, dog]);
    add(`loom ${label}: + the embedded runtime (${mode})`, [sup, dog, runtime]);
  } finally {
    await run([LOOM, "down"], root);
  }
}

try {
  await loom({}, "as shipped", "full");
  await loom({ LOOM_PAGEOUT: "0" }, "LOOM_PAGEOUT=0", "full");
  await loom({}, "as shipped", "bridge-only");

  const pm2Dir = join(work, "pm2");
  const install = Bun.spawnSync(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", pm2Dir, "pm2@5"], { env: { ...process.env, HOME: work } });
  const pm2 = join(pm2Dir, "node_modules/.bin/pm2");
  if (install.exitCode === 0 && existsSync(pm2)) {
    const home = join(work, "pm2-home");
    const apps = Array.from({ length: AGENTS }, (_, i) => ({ name: `a${i}`, script: "sleep", args: "100000", interpreter: "none", autorestart: true }));
    writeFileSync(join(work, "ecosystem.config.js"), `module.exports = ${JSON.stringify({ apps })}`);
    await run([pm2, "start", join(work, "ecosystem.config.js")], work, { PM2_HOME: home });
    try {
      const daemon = Number(readFileSync(join(home, "pm2.pid"), "utf8"));
      await settled(daemon);
      add("pm2 5: daemon", [memoryOf(daemon)]);
    } finally {
      await run([pm2, "kill"], work, { PM2_HOME: home });
    }
  } else rows.push(["pm2: could not be installed from the npm registry", "-", "-", "-", "-"]);

  if (existsSync("/usr/bin/supervisord")) {
    const dir = join(work, "supervisord");
    mkdirSync(dir);
    let conf = `[supervisord]\nnodaemon=false\npidfile=${dir}/pid\nlogfile=${dir}/log\n[unix_http_server]\nfile=${dir}/sock\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${dir}/sock\n`;
    for (let i = 0; i < AGENTS; i++) conf += `[program:a${i}]\ncommand=sleep 100000\nautorestart=true\nstdout_logfile=${dir}/a${i}.log\nstderr_logfile=${dir}/a${i}.err\n`;
    writeFileSync(join(dir, "conf"), conf);
    await run(["/usr/bin/supervisord", "-c", join(dir, "conf")], dir);
    try {
      const end = Date.now() + 10_000;
      while (!existsSync(join(dir, "pid")) && Date.now() < end) await Bun.sleep(50);
      const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
      await settled(pid);
      add("supervisord 4: itself", [memoryOf(pid)]);
    } finally {
      await run(["/usr/bin/supervisorctl", "-c", join(dir, "conf"), "shutdown"], dir).catch(() => {});
    }
  } else rows.push(["supervisord: not installed (apt-get install supervisor)", "-", "-", "-", "-"]);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(table(rows));
