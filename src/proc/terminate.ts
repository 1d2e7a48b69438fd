/**
 * Stopping a process group: a polite signal, a grace period, then SIGKILL for whatever is left
 * (execa's kill.js does the same for one process). Returns as soon as the group is gone.
 */
import { groupMembers, signalGroup } from "./identity";

export interface StopOutcome {
  /** SIGKILL was needed. */
  forced: boolean;
}

function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return groupMembers(pgid).length === 0; // only zombies left
  } catch {
    return true;
  }
}

/** Short polls only: no long timer may outlive a stop that a second Ctrl+C cut short. */
async function waitGone(pgid: number, leaderExited: Promise<unknown> | undefined, deadline: number): Promise<boolean> {
  let leaderDone = !leaderExited;
  void leaderExited?.then(() => (leaderDone = true));
  while (!leaderDone && Date.now() < deadline) await Bun.sleep(10);
  while (Date.now() < deadline) {
    if (groupGone(pgid)) return true;
    await Bun.sleep(10);
  }
  return groupGone(pgid);
}

export async function stopGroup(pgid: number, options: { graceMs: number; signal?: NodeJS.Signals; leaderExited?: Promise<unknown> }): Promise<StopOutcome> {
  if (pgid <= 0 || !signalGroup(pgid, options.signal ?? "SIGTERM")) return { forced: false };
  if (await waitGone(pgid, options.leaderExited, Date.now() + options.graceMs)) return { forced: false };
  signalGroup(pgid, "SIGKILL");
  await waitGone(pgid, undefined, Date.now() + 2_000);
  return { forced: true };
}
