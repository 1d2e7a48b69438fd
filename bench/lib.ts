/** Small helpers for benchmarks: the loom under test, flags, timing commands, memory, tables. */
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";

/** The executable every bench measures (`bun run build` makes it). */
export const LOOM = resolve(import.meta.dir, "../dist/loom");

/**
 * An environment of its own under `work` for the loom under test: its home, cache and state there,
 * runtimes from `mirror` (scripts/runtime-double.ts), no colour, no settle wait after `run --detach`.
 */
export function benchEnv(work: string, mirror: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    HOME: work,
    NO_COLOR: "1",
    LOOM_DOWNLOAD_BASE_URL: mirror,
    LOOM_CACHE_DIR: join(work, "cache"),
    XDG_STATE_HOME: join(work, "state"),
    // `run --detach` waits 500 ms by default for agents that die at once; measured apart.
    LOOM_DETACH_SETTLE_MS: "0",
    ...extra,
  };
}

/** `--name N` from the command line, or `fallback`. */
export function numberFlag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return (at >= 0 && Number(process.argv[at + 1])) || fallback;
}

/** Runs `loom args` in `cwd`; throws with its stderr when it fails. */
export async function loomIn(cwd: string, env: Record<string, string>, args: string[]): Promise<void> {
  const p = Bun.spawn([LOOM, ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`loom ${args.join(" ")}: exit ${code}: ${err}`);
}

export interface Measured {
  ms: number;
  rssMb?: number;
}

/** Runs `argv` (through /usr/bin/time -v when present) and returns wall time and peak RSS. */
// Async on purpose: a benchmark's own loopback server must keep answering while the command runs.
// GNU time writes to a file (-o): on Bun's non-blocking pipes its report can fail with EAGAIN.
export async function measure(argv: string[], env: Record<string, string | undefined> = process.env, cwd?: string): Promise<Measured> {
  const gnuTime = Bun.file("/usr/bin/time").size > 0;
  const report = join(tmpdir(), `loom-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const cmd = gnuTime ? ["/usr/bin/time", "-v", "-o", report, ...argv] : argv;
  const started = performance.now();
  const proc = Bun.spawn(cmd, { env, cwd, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}): ${stdout.slice(-300)} ${stderr.slice(0, 3000)}`);
  const text = gnuTime ? await Bun.file(report).text() : "";
  rmSync(report, { force: true });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
  return { ms, rssMb: rss ? Number(rss[1]) / 1024 : undefined };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join("  ")).join("\n");
}

export const fmt = (n: number | undefined, digits = 0) => (n === undefined ? "-" : n.toFixed(digits));

/**
 * RSS, USS (private memory: Private_Clean + Private_Dirty) and PSS (shared pages divided among the
 * processes that map them) of /proc/PID/smaps_rollup, in MB. USS is what the process alone
 * costs; PSS summed over a process tree is what the tree costs, shared pages counted once.
 */
export function memoryOf(pid: number): { rss: number; uss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { rss: kb("Rss") / 1024, uss: (kb("Private_Clean") + kb("Private_Dirty")) / 1024, pss: kb("Pss") / 1024 };
}

/** Least-squares slope of y over x: how much y moves per unit of x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** Open file descriptors of a process. */
export function fdsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
