/** Timings and limits of the orchestrator, in one place. */

/** SIGTERM (or the forwarded Ctrl+C), then this long, then SIGKILL. `--grace` overrides it. */
export const STOP_GRACE_MS = 5_000;
/** How often readiness is polled while the runtime starts. */
export const READY_POLL_MS = 20;
/** One health probe may take this long. */
export const PROBE_TIMEOUT_MS = 2_000;
/** The running runtime's liveness check (gRPC Heartbeat). */
export const LIVENESS_INTERVAL_MS = 5_000;
/** Consecutive failed liveness checks before the runtime is restarted. */
export const LIVENESS_FAILURES = 3;

/** Restart backoff: the first restart is immediate, the next after RESTART_BASE_MS, doubling to RESTART_MAX_MS. */
export const RESTART_BASE_MS = 100;
export const RESTART_MAX_MS = 30_000;
/** A process that ran this long before failing was healthy: its backoff starts over. */
export const HEALTHY_STRETCH_MS = 10_000;
/** This many failures in a row, each before HEALTHY_STRETCH_MS, is a crash loop: give up. */
export const CRASH_LOOP_LIMIT = 5;

/** Once everything runs, the supervisor hands back the executable's start-up pages after this long. */
export const PAGEOUT_AFTER_MS = 1_000;

/** `run --detach` returns once every agent has stayed up this long (LOOM_DETACH_SETTLE_MS). */
export const DETACH_SETTLE_MS = 500;

/** Per log file, before it is rotated; and how many rotated files are kept. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;
export const LOG_KEEP = 3;
/** After a child exits, how long its output pipes may take to drain (grandchildren can hold them). */
export const PIPE_DRAIN_MS = 200;
/** Bytes of a process's recent stderr kept in memory for crash reports. */
export const STDERR_TAIL_BYTES = 8 * 1024;
/** Lines of stderr shown when a process fails. */
export const FAILURE_TAIL_LINES = 12;

/** Where loom keeps a project's state and logs. */
export const STATE_DIR = ".loom";
export const STATE_FILE = "state.json";
export const LOGS_DIR = "logs";
/** The embedded Bridge's Unix socket for the agents loom starts (bridge/listen.ts). */
export const BRIDGE_SOCKET = "bridge.sock";
/** The embedded Bridge's trace history in STATE_DIR (telemetry/span-db.ts). */
export const TRACES_DB = "traces.db";
/** The embedded Bridge's memory store in STATE_DIR (bridge/memory-db.ts; `loom memory`). */
export const MEMORY_DB = "memory.db";

/** When a process that exited is started again (supervisor/restart-policy.ts; `[agents.<id>] restart`). */
export type RestartMode = "on-failure" | "always" | "never";
export const RESTART_MODES: readonly RestartMode[] = ["on-failure", "always", "never"];

/** The embedded Bridge's own question, which agents never see (bridge/admin.ts); asked by the background supervisor on raw HTTP/2. */
export const ADMIN_TOPOLOGY_PATH = "/loom.embedded.v1.Admin/Topology";

/** What `loom run` finds as an agent in agents/ (launch/process-plan.ts discoverAgents; `--watch` starts one that appears). */
export const AGENT_EXTENSIONS = [".py", ".ts", ".js", ".mjs"];
export function isAgentFileName(name: string): boolean {
  return AGENT_EXTENSIONS.some((e) => name.endsWith(e)) && !name.startsWith("_") && !name.startsWith(".");
}
