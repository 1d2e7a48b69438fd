/**
 * Stopping a project from another process. The supervisor (or a `loom up` still starting) is the
 * holder of the project's lock, found from the system; it is asked to stop (SIGTERM, with the
 * grace period this `loom down` was given). Then whatever the ledger still records is stopped,
 * each group only once identity.ts has proved it is ours, and descendants that left their groups
 * are hunted down by the run id. Nothing the ledger names is signalled on the ledger's word alone.
 */
import { existsSync, readlinkSync } from "node:fs";
import { join } from "pathe";
import { privateDir, writePrivateFile } from "../files/private";
import { STATE_DIR, STOP_GRACE_MS } from "../constants";
import { describeStragglers, findStragglers, stopStragglers } from "../proc/hunt";
import { disproveGroup, isAlive, isSameProcess } from "../proc/identity";
import { lockHeld, lockHolder } from "../state/project-lock";
import { inspectLedger, removeLedger, takeStopReport, writeLedger, type Ledger } from "../state/ledger";
import { registeredProjects, type Registration, unregister } from "../state/project-registry";
import { stopGroup } from "../proc/terminate";

/** `loom down --grace S` reaches the running supervisor through this file (read on SIGTERM). */
export const STOP_REQUEST_FILE = "stop-request";

export interface DownResult {
  root: string;
  /** Nothing was running or recorded. */
  nothing: boolean;
  supervisor?: "stopped" | "killed" | "gone" | "starting";
  stopped: string[];
  failed: string[];
  /** Descendants that had left their process group, found by the run id and stopped. */
  hunted: string[];
  /** Recorded processes that are not provably loom's: left alone. */
  untouched: string[];
  /** Why the ledger was not used (forged, foreign, copied, damaged). */
  problem?: string;
}

async function waitExit(pid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(20);
  }
  return !isAlive(pid);
}

/** SIGTERM to a proven supervisor, then up to both its stop phases (agents, runtime) and a margin. */
async function stopSupervisor(pid: number, graceMs: number): Promise<boolean> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return true;
  }
  if (await waitExit(pid, Date.now() + 2 * graceMs + 5_000)) return true;
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
  await waitExit(pid, Date.now() + 2_000);
  return false;
}

/** Stops what `ledger` records and can be proved ours, then the run's stragglers. */
async function stopRecorded(ledger: Ledger, graceMs: number, result: DownResult): Promise<void> {
  await Promise.all(
    Object.values(ledger.children).map(async (c) => {
      if (c.pid === undefined) return;
      const why = disproveGroup(c, ledger.runId);
      if (why === "gone") return;
      if (why) return void result.untouched.push(`${c.name} (${why})`);
      await stopGroup(c.pgid!, { graceMs });
      if (disproveGroup(c, ledger.runId) === "gone") result.stopped.push(c.name);
      else result.failed.push(`${c.name} (pid ${c.pid})`);
    }),
  );
  await huntRun(ledger.runId, graceMs, result);
}

async function huntRun(runId: string | undefined, graceMs: number, result: DownResult): Promise<void> {
  if (!runId) return;
  const stragglers = findStragglers(runId);
  await stopStragglers(stragglers, graceMs);
  if (stragglers.length) result.hunted.push(describeStragglers(stragglers));
}

export async function downProject(root: string, options: { graceMs?: number } = {}): Promise<DownResult> {
  const { ledger, problem } = inspectLedger(root);
  // Without --grace, the run's own (`loom run --detach --grace 1`), recorded in its ledger.
  const graceMs = options.graceMs ?? ledger?.graceMs ?? STOP_GRACE_MS;
  const result: DownResult = { root, nothing: false, stopped: [], failed: [], hunted: [], untouched: [], problem };
  // The lock's holder is proved by the kernel; without /proc/locks, the ledger's supervisor by start time.
  const holder = lockHolder(root) ?? (ledger && process.platform !== "linux" && isSameProcess(ledger.supervisor) ? ledger.supervisor.pid : undefined);
  if (!ledger && holder === undefined) {
    result.nothing = !problem;
    return result;
  }
  if (holder === undefined && ledger && lockHeld(root)) {
    // Alive, but its supervisor is not visible from here (another pid namespace): leave it be.
    result.untouched.push(`the supervisor (its lock on .loom/lock is held, but no process here holds it: another pid namespace?)`);
    return result;
  }
  if (holder !== undefined && holder !== process.pid) {
    writePrivateFile(join(privateDir(join(root, STATE_DIR), "loom's state directory"), STOP_REQUEST_FILE), JSON.stringify({ graceMs }));
    const clean = await stopSupervisor(holder, graceMs);
    result.supervisor = clean ? (ledger ? "stopped" : "starting") : "killed";
    result.hunted.push(...takeStopReport(root));
  } else if (ledger) result.supervisor = "gone";

  // Whatever is still recorded: the supervisor was killed, died, or did not finish.
  const after = inspectLedger(root).ledger ?? ledger;
  if (after) await stopRecorded(after, graceMs, result);
  if (result.failed.length === 0) {
    if (after) removeLedger(root);
    unregister(root);
  } else if (after) {
    after.phase = "failed";
    after.error = `could not stop: ${result.failed.join(", ")}`;
    writeLedger(after);
  }
  return result;
}

/** A registered project whose directory is gone: its supervisor if proved (start time and cwd), then the run's processes. */
async function downDeleted(entry: Registration, graceMs: number): Promise<DownResult> {
  const result: DownResult = { root: entry.root, nothing: true, stopped: [], failed: [], hunted: [], untouched: [] };
  const sup = entry.supervisor;
  if (sup && isSameProcess(sup)) {
    let cwd = "";
    try {
      cwd = readlinkSync(`/proc/${sup.pid}/cwd`);
    } catch {}
    if (cwd === entry.root || cwd === `${entry.root} (deleted)`) {
      result.nothing = false;
      result.supervisor = (await stopSupervisor(sup.pid, graceMs)) ? "stopped" : "killed";
    }
  }
  await huntRun(entry.runId, graceMs, result);
  if (result.hunted.length) result.nothing = false;
  unregister(entry.root);
  return result;
}

export async function downAll(options: { graceMs?: number } = {}): Promise<DownResult[]> {
  const graceMs = options.graceMs ?? STOP_GRACE_MS;
  const results: DownResult[] = [];
  for (const entry of registeredProjects()) {
    const r = existsSync(entry.root) ? await downProject(entry.root, { graceMs }) : await downDeleted(entry, graceMs);
    if (r.nothing) unregister(entry.root);
    results.push(r);
  }
  return results;
}
