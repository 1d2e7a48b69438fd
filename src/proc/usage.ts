/**
 * CPU and memory of a running process group, for `loom status` (as `pm2 ls` shows them), from
 * /proc: the group's resident memory summed, and its CPU time over the leader's lifetime as a
 * percentage of one core (the way `ps` computes %CPU). Linux only; elsewhere nothing is shown.
 */
import { readFileSync } from "node:fs";
import { groupMembers } from "./identity";

const TICKS = 100; // USER_HZ on every Linux loom runs on

export interface Usage {
  cpuPercent: number;
  rssMb: number;
}

function uptimeSec(): number {
  return Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
}

export function groupUsage(pgid: number): Usage | undefined {
  if (process.platform !== "linux") return undefined;
  let ticks = 0;
  let rssKb = 0;
  let leaderStart: number | undefined;
  for (const pid of groupMembers(pgid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime + stime
      rssKb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0); // in kB, whatever the page size
      if (pid === pgid) leaderStart = Number(f[19]);
    } catch {}
  }
  if (leaderStart === undefined) return undefined;
  const lived = uptimeSec() - leaderStart / TICKS;
  return { cpuPercent: lived > 0 ? (100 * ticks) / TICKS / lived : 0, rssMb: rssKb / 1024 };
}
