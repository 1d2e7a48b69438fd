/**
 * Stopping a project from another process: ask the supervisor (SIGTERM), and when it is gone or
 * does not finish, stop the survivors recorded in the ledger, each only after checking it is still
 * the process loom started.
 */
import { STOP_GRACE_MS } from "./constants";
import { groupIsOurs, isAlive, isSameProcess } from "./identity";
import { readLedger, registeredProjects, removeLedger, unregister, writeLedger } from "./state";
import { stopGroup } from "./terminate";

export interface DownResult {
  root: string;
  /** Nothing was recorded as running. */
  nothing: boolean;
  supervisor?: "stopped" | "killed" | "gone";
  stopped: string[];
  failed: string[];
}

async function waitExit(pid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(20);
  }
  return !isAlive(pid);
}

export async function downProject(root: string, options: { graceMs?: number } = {}): Promise<DownResult> {
  const graceMs = options.graceMs ?? STOP_GRACE_MS;
  const ledger = readLedger(root);
  const result: DownResult = { root, nothing: !ledger, stopped: [], failed: [] };
  if (!ledger) return result;

  if (isSameProcess(ledger.supervisor)) {
    process.kill(ledger.supervisor.pid, "SIGTERM");
    // The supervisor stops agents then the runtime, each with the grace period.
    const ok = await waitExit(ledger.supervisor.pid, Date.now() + 2 * graceMs + 3_000);
    result.supervisor = ok ? "stopped" : "killed";
    if (!ok) process.kill(ledger.supervisor.pid, "SIGKILL");
  } else result.supervisor = "gone";

  // Whatever is still recorded as running: the supervisor was killed, or did not finish.
  const after = readLedger(root) ?? ledger;
  const survivors = Object.values(after.children).filter((c) => c.pid && c.pgid && groupIsOurs({ pid: c.pid, startTime: c.startTime }));
  await Promise.all(
    survivors.map(async (c) => {
      await stopGroup(c.pgid!, { graceMs });
      if (groupIsOurs({ pid: c.pid!, startTime: c.startTime })) result.failed.push(`${c.name} (pid ${c.pid})`);
      else result.stopped.push(c.name);
    }),
  );
  if (result.failed.length === 0) {
    removeLedger(root);
    unregister(root);
  } else {
    after.phase = "failed";
    after.error = `could not stop: ${result.failed.join(", ")}`;
    writeLedger(after);
  }
  return result;
}

export async function downAll(options: { graceMs?: number } = {}): Promise<DownResult[]> {
  const roots = registeredProjects();
  const results: DownResult[] = [];
  for (const root of roots) {
    const r = await downProject(root, options);
    if (r.nothing) unregister(root);
    results.push(r);
  }
  return results;
}
