/**
 * Who a pid is. A pid alone can be reused by a stranger's process after ours exits, so loom
 * records each child's start time and checks it before sending any signal.
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

/** Sends `signal` to a whole process group; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
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

/**
 * Whether the group recorded as `id` (leader pid = pgid) is still ours to signal: its leader is
 * alive with the recorded start time, or the leader is gone and members are left (a pid cannot
 * be reused while a group of that id exists, so those are our orphans). A leader pid alive with
 * another start time belongs to a stranger: never touched.
 */
export function groupIsOurs(id: Identity): boolean {
  if (isAlive(id.pid)) return isSameProcess(id);
  return groupMembers(id.pid).length > 0;
}
