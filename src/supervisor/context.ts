/** What the parts of one supervisor share (supervisor.ts builds it; processes.ts, runtime-lifecycle.ts and actions.ts use it). */
import type { LedgerWriter } from "./ledger-writer";
import type { EventLevel, SupervisorDeps, SupervisorOptions } from "./options";

export interface Run {
  readonly o: SupervisorOptions;
  readonly deps: SupervisorDeps;
  /** In the environment of every process this run starts (proc/identity.ts RUN_ID_VAR). */
  readonly runId: string;
  readonly writer: LedgerWriter;
  event(level: EventLevel, message: string): void;
  /** A stop has begun: nothing new starts. */
  readonly stopping: boolean;
  /** SIGTERM to SIGKILL; `loom down --grace S` may change it for its stop. */
  readonly graceMs: number;
  /** How long the runtime may take to answer (`[bridge] timeout_sec`). */
  readyDeadline(): number;
}
