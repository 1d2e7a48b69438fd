/** What a supervisor is given, and the effects on the world it uses (swapped in tests). */
import type { ProjectConfig } from "../config/types";
import type { ConsoleSink } from "../logs/sink";
import { dashboardHealthy } from "../net/dashboard-probe";
import { grpcHeartbeat } from "../net/health";
import { listenersOf } from "../net/ports";
import { spawnChild } from "../proc/child";
import type { ProcessSpec } from "../proc/spec";
import { signalGroup } from "../proc/identity";
import { stopGroup } from "../proc/terminate";
import type { WatchdogClient } from "../proc/watchdog";
import type { ControlReply, ControlRequest, ControlServer } from "../state/control";
import type { ProjectLock } from "../state/project-lock";
import { becomeSubreaper, releaseFilePages } from "../system/libc";
import type { RestartSettings } from "./restart-policy";

export type EventLevel = "info" | "warn" | "error";

export interface SupervisorOptions {
  project: ProjectConfig;
  runtime: ProcessSpec;
  agents: ProcessSpec[];
  logsDir: string;
  graceMs: number;
  detached: boolean;
  restart?: RestartSettings;
  livenessMs?: number;
  sink?: ConsoleSink;
  /** A process's run starts (`restarted`: after a failed exit) or ends: the printer says a repeated failure once (logs/repeats.ts). */
  onRun?: (name: string, phase: "start" | "end", restarted?: boolean) => void;
  onEvent?: (level: EventLevel, message: string) => void;
  /** Starts the watchdog for a run id (and another when it dies); none when absent. */
  watchdog?: (runId: string) => WatchdogClient;
  logMaxBytes?: number;
  /** The project lock, released once everything is stopped. */
  lock?: ProjectLock;
  /** Which runtime runs, for `loom status` ("the embedded Bridge ...", "target/release/... (local build)"). */
  runtimeDescription?: string;
  /** What the supervisor does to the world, swapped in tests: starting a process, probing health. */
  deps?: Partial<SupervisorDeps>;
  /** Plans an agent from a file for `loom start PATH` (launch/process-plan.ts planAgents); none: not possible. */
  planAgent?: (path: string) => ProcessSpec;
  /** Opens the control channel once everything runs (state/control.ts); closed before the lock is released. */
  control?: (handle: (req: ControlRequest) => Promise<ControlReply>, warn: (message: string) => void) => ControlServer | undefined;
  /** `loom run --watch`: plans the processes again from loom.toml and .env (throws when they are broken). */
  replan?: () => Promise<{ runtime: ProcessSpec; agents: ProcessSpec[]; warnings?: string[] }>;
}

export interface SupervisorDeps {
  spawn: typeof spawnChild;
  heartbeat: typeof grpcHeartbeat;
  dashboard: typeof dashboardHealthy;
  /** The pids listening on a port (net/ports.ts). */
  listeners: typeof listenersOf;
  /** Makes this process the subreaper of its descendants (system/libc.ts); a test's fake does not. */
  becomeSubreaper: () => boolean;
  /** Hands start-up pages back to the kernel (system/libc.ts). */
  releasePages: () => void;
  /** Stops a process group: SIGTERM, the grace period, SIGKILL (proc/terminate.ts); a test's fake signals nothing. */
  stopGroup: typeof stopGroup;
  /** Signals a process group at once (what an exited leader left; the second Ctrl+C's SIGKILL). */
  signalGroup: typeof signalGroup;
}

export function withDefaults(deps: Partial<SupervisorDeps> = {}): SupervisorDeps {
  return {
    spawn: spawnChild,
    heartbeat: grpcHeartbeat,
    dashboard: dashboardHealthy,
    listeners: listenersOf,
    becomeSubreaper,
    releasePages: () => void releaseFilePages(),
    stopGroup,
    signalGroup,
    ...deps,
  };
}
