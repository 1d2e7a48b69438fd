/**
 * Soak: 10,000 crash/restart cycles under `loom run --detach` (issue 20). Twenty agents each live
 * 0–90 ms, print a line to stdout and stderr, then exit with code 0, 1 or 2, or SIGKILL
 * themselves; restart = "always", no backoff, no crash-loop limit. The supervisor's and the
 * watchdog's RSS, USS and PSS, the supervisor's open fds and the ledger's size are sampled
 * throughout; each must be flat: the slopes per 1,000 cycles are printed after a warm-up of the
 * first 10 %.
 *
 * Run: bun run build && bun bench/soak-restarts.ts [--cycles 10000] [--agents 20]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import { fdsOf, fmt, loomIn, memoryOf, numberFlag, slope, table } from "./lib";

const CYCLES = numberFlag("cycles", 10_000);
const AGENTS = numberFlag("agents", 20);
const root = mkdtempSync(join(tmpdir(), "loom-soak-"));
const env = {
  PATH: process.env.PATH!,
  HOME: root,
  NO_COLOR: "1",
  XDG_STATE_HOME: join(root, "state"),
  LOOM_RESTART_BASE_MS: "0",
  LOOM_CRASH_LOOP_LIMIT: String(1e9),
  LOOM_DETACH_SETTLE_MS: "0",
};

// $$ (the pid) stands in for a random number: no extra process per cycle.
const script = `#!/bin/sh
echo "cycle $$"
echo "err $$" >&2
sleep 0.0$(($$ % 10))
case $(($$ % 4)) in 3) kill -9 $$ ;; *) exit $(($$ % 3)) ;; esac
`;
mkdirSync(join(root, "agents"));
writeFileSync(join(root, "agents/flaky.sh"), script, { mode: 0o755 });
let toml = '[bridge]\nruntime = "embedded"\nmode = "bridge-only"\n';
for (let i = 0; i < AGENTS; i++) toml += `[agents.f${i}]\ncommand = ["sh", "agents/flaky.sh"]\nrestart = "always"\n`;
writeFileSync(join(root, "loom.toml"), toml);

const loom = (args: string[]) => loomIn(root, env, args);

interface Sample {
  cycles: number;
  seconds: number;
  sup: ReturnType<typeof memoryOf>;
  dog: ReturnType<typeof memoryOf>;
  fds: number;
  ledgerBytes: number;
}
const samples: Sample[] = [];
const ledgerPath = join(root, ".loom/state.json");
const started = performance.now();
try {
  await loom(["run", "--detach", "--bridge-port", "0"]);
  const ledger = JSON.parse(readFileSync(ledgerPath, "utf8"));
  const sup: number = ledger.supervisor.pid;
  const dog: number = ledger.watchdog.pid;
  const restarts = () => {
    try {
      const l = JSON.parse(readFileSync(ledgerPath, "utf8")) as { children: Record<string, { restarts: number }> };
      return Object.values(l.children).reduce((n, c) => n + c.restarts, 0);
    } catch {
      return samples.at(-1)?.cycles ?? 0; // caught mid-write: the previous count
    }
  };
  for (let cycles = 0; cycles < CYCLES; ) {
    await Bun.sleep(1_000);
    cycles = restarts();
    samples.push({ cycles, seconds: (performance.now() - started) / 1000, sup: memoryOf(sup), dog: memoryOf(dog), fds: fdsOf(sup), ledgerBytes: statSync(ledgerPath).size });
    process.stderr.write(`\r${cycles} cycles, supervisor ${fmt(samples.at(-1)!.sup.rss, 1)} MB RSS, ${samples.at(-1)!.fds} fds   `);
  }
  process.stderr.write("\n");
} finally {
  await loom(["down"]).catch((e) => console.error(e));
  rmSync(root, { recursive: true, force: true });
}

const settled = samples.filter((s) => s.cycles >= CYCLES * 0.1);
const per1000 = (pick: (s: Sample) => number) => slope(settled.map((s) => [s.cycles / 1000, pick(s)]));
const first = settled[0]!;
const last = samples.at(-1)!;
const rows: (string | number)[][] = [["measure", `at ${first.cycles} cycles`, `at ${last.cycles} cycles`, "slope per 1,000 cycles"]];
const row = (name: string, pick: (s: Sample) => number, digits = 1, unit = "") =>
  rows.push([name, `${fmt(pick(first), digits)}${unit}`, `${fmt(pick(last), digits)}${unit}`, `${per1000(pick) >= 0 ? "+" : ""}${fmt(per1000(pick), 3)}${unit}`]);
row("supervisor RSS", (s) => s.sup.rss, 1, " MB");
row("supervisor USS", (s) => s.sup.uss, 1, " MB");
row("supervisor PSS", (s) => s.sup.pss, 1, " MB");
row("watchdog RSS", (s) => s.dog.rss, 2, " MB");
row("watchdog USS", (s) => s.dog.uss, 2, " MB");
row("supervisor open fds", (s) => s.fds, 0);
row("ledger size", (s) => s.ledgerBytes, 0, " B");
console.log(`${AGENTS} agents, ${last.cycles} crash/restart cycles in ${fmt(last.seconds)} s (${fmt(last.cycles / last.seconds)} per second), ${samples.length} samples\n`);
console.log(table(rows));
