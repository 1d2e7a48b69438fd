/**
 * Descendants that left their process group (setsid, start_new_session, a double fork) escape a
 * group signal. They are found two ways, both from the system: every process whose environment
 * carries this run's LOOM_RUN_ID, and (supervisor only, Linux) orphans re-parented to the
 * supervisor because it is a child subreaper. Each is signalled by pid after its start time is
 * read again, so a pid reused in between is never hit. Linux only (docs/security.md).
 */
import { readdirSync, readFileSync } from "node:fs";
import { reap } from "../system/libc";
import { carriesRunId, isAlive, processStartTime } from "./identity";

export interface Straggler {
  pid: number;
  startTime?: string;
  command: string;
}

function stat(pid: string): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 120);
  } catch {
    return "?";
  }
}

/** Live processes of this run (by its id) or adopted by `parent`, except `exclude`. */
export function findStragglers(runId: string | undefined, options: { adoptedBy?: number; exclude?: Set<number> } = {}): Straggler[] {
  if (process.platform !== "linux") return [];
  const out: Straggler[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || pid <= 1 || options.exclude?.has(pid)) continue;
    const fields = stat(entry);
    if (!fields || fields[0] === "Z") continue;
    const adopted = options.adoptedBy !== undefined && Number(fields[1]) === options.adoptedBy;
    if (adopted || (runId && carriesRunId(pid, runId))) out.push({ pid, startTime: fields[19], command: commandOf(pid) });
  }
  return out;
}

/**
 * Zombies of orphans the supervisor adopted as subreaper (never a child Bun spawned: those are in
 * `exclude`, and Bun reaps them). Reaped so a long run with daemonising agents leaves no zombies.
 */
export function reapAdoptedZombies(exclude: Set<number>): number {
  if (process.platform !== "linux") return 0;
  let reaped = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || exclude.has(Number(entry))) continue;
    const fields = stat(entry);
    if (fields?.[0] === "Z" && Number(fields[1]) === process.pid && reap(Number(entry))) reaped++;
  }
  return reaped;
}

function signal(s: Straggler, sig: NodeJS.Signals): void {
  if (processStartTime(s.pid) !== s.startTime) return; // gone, or the pid is someone else's now
  try {
    process.kill(s.pid, sig);
  } catch {}
}

/** SIGTERM, up to `graceMs`, then SIGKILL; reaps the ones adopted by this process. */
export async function stopStragglers(list: Straggler[], graceMs: number): Promise<void> {
  if (list.length === 0) return;
  for (const s of list) signal(s, "SIGTERM");
  const alive = (s: Straggler) => {
    reap(s.pid);
    return isAlive(s.pid) && processStartTime(s.pid) === s.startTime;
  };
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && list.some(alive)) await Bun.sleep(10);
  for (const s of list.filter(alive)) signal(s, "SIGKILL");
  const end = Date.now() + 2_000;
  while (Date.now() < end && list.some(alive)) await Bun.sleep(10);
}

export function describeStragglers(list: Straggler[]): string {
  return list.map((s) => `pid ${s.pid} (${s.command})`).join(", ");
}

/**
 * `loom __hunt RUNID`: what the watchdog runs once a killed supervisor's groups are stopped, so a
 * descendant that left its group (setsid) does not outlive it until the next `loom down`.
 */
export async function huntRun(runId: string, graceMs: number): Promise<number> {
  if (!/^[0-9a-f]{32}$/.test(runId)) return 0;
  const found = findStragglers(runId);
  await stopStragglers(found, graceMs);
  return found.length;
}
