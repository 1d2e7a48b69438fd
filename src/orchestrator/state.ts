/**
 * The ledger: `.loom/state.json` (mode 0600) records the supervisor and every child with pid,
 * process group and start time, so `loom down` and `loom status` work from another process,
 * even after the supervisor was killed. A registry of running projects serves `loom down --all`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "pathe";
import { STATE_DIR, STATE_FILE } from "./constants";

export type ProcessState = "starting" | "running" | "backoff" | "stopping" | "stopped" | "exited" | "crash-loop" | "failed";

export interface ChildRecord {
  name: string;
  kind: "runtime" | "agent";
  state: ProcessState;
  pid?: number;
  pgid?: number;
  startTime?: string;
  startedAt?: number;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: number; livedMs: number };
  health?: "ok" | "unhealthy" | "unknown";
  /** Why it is not running (crash loop, start failure). */
  reason?: string;
  logs: { out: string; err: string };
}

export interface Ledger {
  version: 1;
  root: string;
  phase: "starting" | "running" | "stopping" | "failed";
  error?: string;
  supervisor: { pid: number; startTime?: string; startedAt: number; detached: boolean };
  watchdog?: { pid: number; startTime?: string };
  bridge: { address: string; mode: string };
  dashboard?: string;
  logsDir: string;
  children: Record<string, ChildRecord>;
}

export function statePath(root: string): string {
  return join(root, STATE_DIR, STATE_FILE);
}

export function readLedger(root: string): Ledger | undefined {
  const path = statePath(root);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Ledger;
  } catch {
    return undefined; // a torn or foreign file: treated as no ledger
  }
}

export function writeLedger(ledger: Ledger): void {
  const path = statePath(ledger.root);
  mkdirSync(join(ledger.root, STATE_DIR), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(ledger, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeLedger(root: string): void {
  rmSync(statePath(root), { force: true });
}

/** `${XDG_STATE_HOME:-~/.local/state}/loom/projects`: one file per running project. */
export function registryDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state");
  return join(base, "loom", "projects");
}

function registryFile(root: string, env: Record<string, string | undefined>): string {
  return join(registryDir(env), createHash("sha256").update(root).digest("hex").slice(0, 16));
}

export function register(root: string, env: Record<string, string | undefined> = process.env): void {
  mkdirSync(registryDir(env), { recursive: true });
  writeFileSync(registryFile(root, env), root);
}

export function unregister(root: string, env: Record<string, string | undefined> = process.env): void {
  rmSync(registryFile(root, env), { force: true });
}

export function registeredProjects(env: Record<string, string | undefined> = process.env): string[] {
  const dir = registryDir(env);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8").trim()).filter(Boolean);
}
