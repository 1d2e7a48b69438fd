/**
 * What the parts of one supervisor share: supervisor.ts makes it; processes.ts,
 * runtime-lifecycle.ts and actions.ts read it. `stopping` and `graceMs` change during the run
 * (a stop begins; `loom down --grace S`), and every part sees the change.
 */
import type { LedgerWriter } from "./ledger-writer";
import type { EventLevel, SupervisorDeps, SupervisorOptions } from "./options";

export class SupervisorContext {
  /** A stop has begun: nothing new starts. */
  stopping = false;
  /** SIGTERM to SIGKILL; `loom down --grace S` may change it for its stop. */
  graceMs: number;

  constructor(
    readonly options: SupervisorOptions,
    readonly deps: SupervisorDeps,
    /** In the environment of every process this run starts (proc/identity.ts RUN_ID_VAR). */
    readonly runId: string,
    readonly writer: LedgerWriter,
  ) {
    this.graceMs = options.graceMs;
  }

  event(level: EventLevel, message: string): void {
    this.options.onEvent?.(level, message);
  }

  /** When the runtime must have answered, from now (`[bridge] timeout_sec`). */
  readyDeadline(): number {
    return Date.now() + this.options.project.config.bridge.timeout_sec * 1000;
  }
}
