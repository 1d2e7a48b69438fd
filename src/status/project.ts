/**
 * What `loom status` shows: the supervisor's live state (over the control channel) or, when it
 * does not answer, the ledger file, checked against the live processes. Whether loom runs is
 * the system's word (the holder of the project lock), so a damaged ledger still shows the
 * supervisor.
 */
import { disproveGroup, isSameProcess } from "../proc/identity";
import { lockHolder } from "../state/project-lock";
import { groupUsage } from "../proc/usage";
import { askSupervisor } from "../state/control";
import { inspectLedger, type ChildRecord, type Ledger } from "../state/ledger";

export interface ProcessStatus {
  name: string;
  kind: string;
  state: string;
  pid?: number;
  uptimeSec?: number;
  restarts: number;
  lastExit?: string;
  health?: string;
  reason?: string;
  /** CPU (percent of one core, over its life) and resident memory of its process group. */
  cpuPercent?: number;
  rssMb?: number;
}

export interface ProjectStatus {
  root: string;
  running: boolean;
  phase?: Ledger["phase"] | "dead";
  error?: string;
  supervisorPid?: number;
  bridge?: string;
  dashboard?: string;
  /** Which runtime runs. */
  runtime?: string;
  processes: ProcessStatus[];
  /** Why the ledger could not be used. */
  problem?: string;
  /** Log or ledger writes dropped (full disk, I/O errors). */
  dropped?: Ledger["dropped"];
}

function describe(c: ChildRecord, runId: string | undefined, supervisorAlive: boolean, now: number): ProcessStatus {
  if (c.remote)
    return {
      name: c.name,
      kind: c.kind,
      state: !supervisorAlive ? "stopped" : c.health === "unreachable" ? "unreachable" : c.state,
      restarts: c.restarts,
      health: supervisorAlive ? c.health : undefined,
      reason: c.reason,
    };
  const alive = c.pid !== undefined && disproveGroup(c, runId) === undefined;
  const exit = c.lastExit ? (c.lastExit.signal ? `killed by ${c.lastExit.signal}` : `exit ${c.lastExit.code}`) : undefined;
  let state: string = c.state;
  if (!supervisorAlive) state = alive ? "orphaned" : c.state === "crash-loop" ? c.state : "stopped";
  else if ((c.state === "running" || c.state === "starting") && !alive) state = "exited";
  return {
    name: c.name,
    kind: c.kind,
    state,
    pid: alive ? c.pid : undefined,
    uptimeSec: alive && c.startedAt ? Math.round((now - c.startedAt) / 1000) : undefined,
    restarts: c.restarts,
    lastExit: exit,
    health: c.kind === "runtime" && alive ? c.health : undefined,
    reason: c.reason,
    ...(alive && c.pgid ? groupUsage(c.pgid) : {}),
  };
}

/** The status from the supervisor's live ledger when it answers within 2 s, else from the ledger file. */
export async function liveProjectStatus(root: string): Promise<ProjectStatus> {
  const live = await askSupervisor(root, { cmd: "status" }, 2_000).catch(() => undefined);
  return projectStatus(root, Date.now(), live?.ok ? (live.ledger as Ledger) : undefined);
}

/** `live`: the ledger the supervisor answered over the control channel; else the file is read. */
export function projectStatus(root: string, now = Date.now(), live?: Ledger): ProjectStatus {
  const { ledger, problem } = live ? { ledger: live, problem: undefined } : inspectLedger(root);
  const holder = lockHolder(root);
  if (!ledger)
    return holder
      ? { root, running: true, phase: problem ? "running" : "starting", supervisorPid: holder, processes: [], problem }
      : { root, running: false, processes: [], problem };
  const alive = holder !== undefined ? holder === ledger.supervisor.pid : process.platform !== "linux" && isSameProcess(ledger.supervisor);
  return {
    root,
    running: alive,
    phase: alive ? ledger.phase : "dead",
    error: ledger.error,
    supervisorPid: ledger.supervisor.pid,
    bridge: ledger.bridge.address,
    runtime: ledger.bridge.runtime,
    dashboard: ledger.dashboard,
    processes: Object.values(ledger.children).map((c) => describe(c, ledger.runId, alive, now)),
    dropped: ledger.dropped,
  };
}
