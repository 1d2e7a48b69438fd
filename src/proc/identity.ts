/**
 * Who a pid is, proved from the system, never from a file: a pid alone can be reused by a
 * stranger's process after ours exits, and a ledger can be forged. Before loom signals a group it
 * checks the leader's start time, its real process group, and (Linux) the run id loom put in the
 * environment of every process it started (docs/security.md).
 */
import { readFileSync, readdirSync } from "node:fs";

/** Alive and not a zombie (a zombie answers signal 0 but is already gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (process.platform !== "linux") return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** Linux: field 22 of /proc/<pid>/stat (clock ticks since boot). Elsewhere: `ps -o lstart=`. */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return fields[19]; // field 22 overall; fields here start at field 3
    } catch {
      return undefined;
    }
  }
  const r = Bun.spawnSync(["ps", "-o", "lstart=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore" });
  const out = r.stdout.toString().trim();
  return r.exitCode === 0 && out ? out : undefined;
}

export interface Identity {
  pid: number;
  startTime?: string;
}

/** True only when `pid` is alive and is the very process that was recorded. */
export function isSameProcess(id: Identity): boolean {
  if (!isAlive(id.pid)) return false;
  const now = processStartTime(id.pid);
  return id.startTime !== undefined && now === id.startTime;
}

/** The process group `pid` is in now, from the system (undefined when it is gone). */
export function realGroupOf(pid: number): number | undefined {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    } catch {
      return undefined;
    }
  }
  if (process.platform === "win32") return isAlive(pid) ? pid : undefined;
  const r = Bun.spawnSync(["ps", "-o", "pgid=", "-p", String(pid)], { stdout: "pipe", stderr: "ignore" });
  const n = Number(r.stdout.toString().trim());
  return r.exitCode === 0 && n > 0 ? n : undefined;
}

/** The variable that marks every process a loom run started, and everything they start. */
export const RUN_ID_VAR = "LOOM_RUN_ID";

/**
 * Linux: whether `pid` was started with `LOOM_RUN_ID=<runId>` (its exec-time environment, which
 * only its owner and root can read). Elsewhere there is no cheap way to know: true.
 */
export function carriesRunId(pid: number, runId: string): boolean {
  if (process.platform !== "linux") return true;
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`${RUN_ID_VAR}=${runId}`);
  } catch {
    return false;
  }
}

export interface GroupRecord {
  pid?: number;
  pgid?: number;
  startTime?: string;
}

/**
 * Whether the group recorded as `rec` may be signalled: its leader is alive with the recorded
 * start time, leads the recorded group in fact (pgid = pid > 1), and carries the run's id.
 * Returns the reason when it may not.
 */
export function disproveGroup(rec: GroupRecord, runId: string | undefined): string | undefined {
  const { pid, pgid } = rec;
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1 || pgid !== pid) return `the recorded group ${pgid} is not led by pid ${pid}`;
  if (!isAlive(pid)) return "gone";
  if (rec.startTime === undefined || processStartTime(pid) !== rec.startTime) return `pid ${pid} is now another process (its start time differs)`;
  const real = realGroupOf(pid);
  if (real !== pgid) return `pid ${pid} is in process group ${real}, not ${pgid}`;
  if (!runId || !carriesRunId(pid, runId)) return `pid ${pid} was not started by this loom (no ${RUN_ID_VAR})`;
  return undefined;
}

/** The pids whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (process.platform === "win32") return isAlive(pgid) ? [pgid] : [];
  if (process.platform === "linux") {
    const out: number[] = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[2]) === pgid && fields[0] !== "Z") out.push(Number(entry)); // zombies are gone already
      } catch {}
    }
    return out;
  }
  const r = Bun.spawnSync(["ps", "-A", "-o", "pid=,pgid=,stat="], { stdout: "pipe", stderr: "ignore" });
  return r.stdout
    .toString()
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([, g, stat]) => Number(g) === pgid && !stat?.startsWith("Z"))
    .map(([p]) => Number(p));
}

/** Sends `signal` to a whole process group; false when the group is already gone. Never to 0, -1 or init's group. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  if (process.platform === "win32") {
    // No process groups to signal: taskkill ends the tree (/T), forcibly (/F) for SIGKILL.
    const r = Bun.spawnSync(["taskkill", "/PID", String(pgid), "/T", ...(signal === "SIGKILL" ? ["/F"] : [])], { stdout: "ignore", stderr: "ignore" });
    return r.exitCode === 0;
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
