/**
 * The supervisor's side of the ledger (state/ledger.ts): it keeps the ledger in memory and writes
 * it after every change. A write that fails (a full disk) is counted and reported once per kind of
 * error, never fatal; the count reaches the ledger at most once a second.
 */
import { processStartTime } from "../proc/identity";
import type { ProcessSpec } from "../proc/spec";
import { removeLedger, writeLedger, writeStopReport, type Ledger } from "../state/ledger";
import { register, unregister } from "../state/project-registry";
import type { EventLevel, SupervisorOptions } from "./options";

export class LedgerWriter {
  readonly ledger: Ledger;
  private savedAt = 0;

  constructor(
    o: SupervisorOptions,
    runId: string,
    private readonly event: (level: EventLevel, message: string) => void,
  ) {
    const { config, root } = o.project;
    const dashboardOn = config.bridge.mode === "full" && config.dashboard.enabled;
    this.ledger = {
      version: 1,
      root,
      runId,
      phase: "starting",
      supervisor: { pid: process.pid, startTime: processStartTime(process.pid), startedAt: Date.now(), detached: o.detached },
      graceMs: o.graceMs,
      bridge: {
        address: config.bridge.address,
        mode: config.bridge.mode,
        runtime: o.runtimeDescription,
        ...(o.runtime.remote?.tls ? { tls: true } : {}),
        ...(socketOf(o.runtime) ? { socket: socketOf(o.runtime) } : {}),
      },
      dashboard: dashboardOn ? `http://${config.dashboard.host}:${config.dashboard.port}` : undefined,
      logsDir: o.logsDir,
      children: {},
    };
  }

  save(): void {
    try {
      writeLedger(this.ledger);
      this.savedAt = Date.now();
    } catch (error) {
      this.dropped(error, false); // a full disk never stops the supervising; `status` reports it when it can
    }
  }

  /** A log or ledger write failed: counted, said once per kind of error. */
  dropped(error: unknown, save = true): void {
    const message = error instanceof Error ? error.message : String(error);
    const first = this.ledger.dropped?.lastError !== message;
    this.ledger.dropped = { writes: (this.ledger.dropped?.writes ?? 0) + 1, lastError: message };
    if (first) this.event("warn", `dropping writes: ${message}`);
    if (save && (first || Date.now() - this.savedAt > 1_000)) this.save();
  }

  /** In the registry of running projects (`loom down --all`). */
  register(): void {
    try {
      register({ root: this.ledger.root, runId: this.ledger.runId, supervisor: { pid: process.pid, startTime: this.ledger.supervisor.startTime } });
    } catch (error) {
      this.dropped(error);
    }
  }

  /** Everything stopped: the ledger goes (a failed start keeps it, so `loom status` can say why). */
  close(hunted: string[]): void {
    if (this.ledger.phase === "failed") this.save();
    else removeLedger(this.ledger.root);
    if (hunted.length) writeStopReport(this.ledger.root, hunted);
    unregister(this.ledger.root);
  }
}

const socketOf = (runtime: ProcessSpec) => runtime.env.LOOM_BRIDGE_SOCKET;
