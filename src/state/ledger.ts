/**
 * The ledger: `.loom/state.json` (mode 0600) records the supervisor and every child with pid,
 * process group and start time, so `loom down` and `loom status` work from another process,
 * even after the supervisor was killed. It is read through a schema (a trust boundary: another
 * process wrote it), and only ever a hint: proc/identity.ts proves each process before a signal.
 */
import { lstatSync, readFileSync, rmSync } from "node:fs";
import { join } from "pathe";
import { z } from "zod";
import { privateDir, takePrivateJson, writePrivateFile } from "../files/private";
import { distrust, mode } from "../files/trust";
import { STATE_DIR, STATE_FILE } from "../constants";

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
  health?: "ok" | "unhealthy" | "unknown" | "unreachable";
  /** A Bridge elsewhere (remote.ts): no process here, its address instead. */
  remote?: string;
  /** Why it is not running (crash loop, start failure). */
  reason?: string;
  logs: { out: string; err: string };
}

export interface Ledger {
  version: 1;
  root: string;
  /** In the environment of every process this run started (identity.ts RUN_ID_VAR). */
  runId?: string;
  phase: "starting" | "running" | "stopping" | "failed";
  error?: string;
  supervisor: { pid: number; startTime?: string; startedAt: number; detached: boolean };
  watchdog?: { pid: number; startTime?: string };
  /** The run's `--grace`, which a `loom down` without one uses. */
  graceMs?: number;
  /** `runtime`: which runs, as `loom up` said it (describeBinary), e.g. "the embedded Bridge (...)". */
  /** `tls`: a remote Bridge spoken to over TLS (remote.ts). */
  /** `socket`: the embedded Bridge's Unix socket, which the agents and loom's clients use. */
  bridge: { address: string; mode: string; runtime?: string; tls?: boolean; socket?: string };
  dashboard?: string;
  logsDir: string;
  children: Record<string, ChildRecord>;
  /** Log or ledger writes that failed (a full disk, an I/O error) and were dropped. */
  dropped?: { writes: number; lastError: string };
}

const pid = z.number().int();
const childShape = z.looseObject({
  name: z.string(),
  kind: z.enum(["runtime", "agent"]),
  state: z.string(),
  pid: pid.optional(),
  pgid: pid.optional(),
  startTime: z.string().optional(),
  restarts: z.number(),
  logs: z.object({ out: z.string(), err: z.string() }),
});
/** What a ledger must hold to be read at all; its other fields are kept as they are. */
export const ledgerShape = z.looseObject({
  version: z.literal(1),
  root: z.string(),
  runId: z.string().optional(),
  phase: z.string(),
  supervisor: z.looseObject({ pid, startTime: z.string().optional(), startedAt: z.number(), detached: z.boolean() }),
  watchdog: z.looseObject({ pid, startTime: z.string().optional() }).optional(),
  bridge: z.looseObject({ address: z.string(), mode: z.string(), socket: z.string().optional() }),
  logsDir: z.string(),
  children: z.record(z.string(), childShape),
});

export function statePath(root: string): string {
  return join(root, STATE_DIR, STATE_FILE);
}

export interface LedgerRead {
  ledger?: Ledger;
  /** Why the file there is not used: a forged, foreign, copied or damaged ledger. */
  problem?: string;
}

/**
 * The ledger, checked before it is believed: a regular file of the user's with mode 0600, JSON of
 * the right shape, recording this very project directory (a copied project does not control the
 * original). Even a trusted ledger only says whom to check: identity.ts proves each process.
 */
export function inspectLedger(root: string): LedgerRead {
  const path = statePath(root);
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return {};
  if (!st.isFile()) return { problem: `${path} is not a regular file` };
  const why = distrust(st) ?? (process.platform !== "win32" && (st.mode & 0o077) !== 0 ? `its mode is ${mode(st)}, not 0600` : undefined);
  if (why) return { problem: `ledger ${path} refused: ${why}` };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return { problem: `ledger unreadable: ${path} is not valid JSON (truncated or damaged)` };
  }
  const parsed = ledgerShape.safeParse(raw);
  if (!parsed.success) return { problem: `ledger unreadable: ${path} does not have the ledger's shape (${parsed.error.issues[0]?.path.join(".") || "top"})` };
  const ledger = parsed.data as Ledger;
  if (ledger.root !== root) return { problem: `ledger ${path} refused: it records the project ${ledger.root}, not this one (a copied directory does not control the original)` };
  return { ledger };
}

export function readLedger(root: string): Ledger | undefined {
  return inspectLedger(root).ledger;
}

export function writeLedger(ledger: Ledger): void {
  privateDir(join(ledger.root, STATE_DIR), "loom's state directory");
  writePrivateFile(statePath(ledger.root), JSON.stringify(ledger, null, 2) + "\n");
}

/** What the supervisor had to hunt down while stopping, for the `loom down` that asked (then removed). */
const STOP_REPORT_FILE = "stop-report.json";

export function writeStopReport(root: string, hunted: string[]): void {
  try {
    writePrivateFile(join(root, STATE_DIR, STOP_REPORT_FILE), JSON.stringify({ hunted }));
  } catch {}
}

export function takeStopReport(root: string): string[] {
  const hunted = takePrivateJson(join(root, STATE_DIR, STOP_REPORT_FILE))?.hunted;
  return Array.isArray(hunted) ? hunted.map(String) : [];
}

export function removeLedger(root: string): void {
  rmSync(statePath(root), { force: true });
}
