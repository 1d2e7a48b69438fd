/** A process to run, as planning describes it (launch/process-plan.ts) and a supervisor starts it (proc/child.ts). */
import type { RemoteBridge } from "../config/remote";

export type ProcessKind = "runtime" | "agent";

/** When a process that exited is started again (supervisor/restart-policy.ts); checked in loom.toml by config/schema.ts. */
import type { RestartMode } from "../constants";
export { RESTART_MODES, type RestartMode } from "../constants";

export interface ProcessSpec {
  name: string;
  kind: ProcessKind;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  restart: RestartMode;
  /** The agent's file, when it runs one (`loom run --watch` restarts it when that changes). */
  source?: string;
  /** `[agents.<name>] watch`: more files (globs, relative to the project) that restart it. */
  watch?: string[];
  /**
   * Variables handed over the process's standard input (JSON) instead of its environment, which
   * /proc/<pid>/environ shows to the user's other processes: the embedded Bridge's secrets.
   */
  privateEnv?: Record<string, string>;
  /** The runtime is a Bridge elsewhere: nothing is started, its Heartbeat is probed (config/remote.ts). */
  remote?: RemoteBridge;
}

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** How long the process ran, ms. */
  livedMs: number;
}
