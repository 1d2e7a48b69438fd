/** Runs the real executable, dist/loom, the way a user would: NO_COLOR, a temporary HOME. */
import { existsSync, statSync, readdirSync } from "node:fs";
import { join, resolve } from "pathe";
import { tempDir } from "./tmp";

export const ROOT = resolve(import.meta.dir, "../..");
export const LOOM = join(ROOT, "dist/loom");

export function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let built = false;
/** Builds dist/loom once per test run if it is missing or older than src/. */
export function ensureBuilt(): string {
  if (built) return LOOM;
  if (!existsSync(LOOM) || statSync(LOOM).mtimeMs < newestSource(join(ROOT, "src"))) {
    const r = Bun.spawnSync([process.execPath, "scripts/build.ts"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`build failed: ${r.stderr.toString()}`);
  }
  built = true;
  return LOOM;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill the command after this many ms (a safety net, not an assertion). */
  timeoutMs?: number;
}

/** A clean environment: PATH and a temporary HOME, nothing from the developer's own shell. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const home = tempDir("loom-home-");
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CACHE_HOME: join(home, ".cache"),
    NO_COLOR: "1",
    TMPDIR: process.env.TMPDIR,
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export async function runLoom(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn([ensureBuilt(), ...args], {
    cwd: options.cwd ?? tempDir(),
    env: cleanEnv(options.env),
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    timeout: options.timeoutMs ?? 30_000,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
