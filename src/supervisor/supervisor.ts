/**
 * The supervisor, a coordinator: starts the runtime and waits until it is really ready
 * (runtime-lifecycle.ts, local or remote, chosen once), starts the agents (processes.ts), watches the
 * runtime's liveness, serves `loom restart|stop|start|status` and `--watch` (actions.ts, one at a
 * time), keeps the ledger (ledger-writer.ts), and stops everything, agents first and the runtime
 * last, resolving `done` with loom's exit code.
 */
import { randomHex } from "../system/random";
import { LIVENESS_INTERVAL_MS, PAGEOUT_AFTER_MS } from "../constants";
import type { ControlReply, ControlRequest, ControlServer } from "../state/control";
import { Actions } from "./actions";
import { LedgerWriter } from "./ledger-writer";
import { type EventLevel, type SupervisorOptions, withDefaults } from "./options";
import { Processes } from "./processes";
import { SupervisorContext } from "./context";
import { localRuntime, remoteRuntime, type RuntimeStrategy } from "./runtime-lifecycle";
import { type ProjectWatcher, watchProject } from "./watch";

export type { EventLevel, SupervisorDeps, SupervisorOptions } from "./options";

export class Supervisor {
  private readonly context: SupervisorContext;
  private readonly writer: LedgerWriter;
  private readonly processes: Processes;
  private readonly runtime: RuntimeStrategy;
  private readonly actions: Actions;
  private finished = false;
  private livenessTimer?: ReturnType<typeof setInterval>;
  private controlServer?: ControlServer;
  private watcher?: ProjectWatcher;
  /** Control actions run one at a time, so two clients never start a process twice. */
  private queueTail: Promise<unknown> = Promise.resolve();
  private resolveDone!: (code: number) => void;
  /** Resolves with loom's exit code once everything is stopped. */
  readonly done = new Promise<number>((r) => (this.resolveDone = r));

  constructor(private readonly options: SupervisorOptions) {
    const runId = randomHex(16);
    this.writer = new LedgerWriter(options, runId, (level, message) => options.onEvent?.(level, message));
    this.context = new SupervisorContext(options, withDefaults(options.deps), runId, this.writer);
    const event = (level: EventLevel, message: string) => this.context.event(level, message);
    this.runtime = options.runtime.remote ? remoteRuntime(this.context, options.runtime.remote) : localRuntime(this.context, () => this.processes);
    this.processes = new Processes(this.context, {
      spawnRuntime: (slot) => this.runtime.start(slot),
      runtimeBack: (slot) =>
        void this.runtime.waitReady(slot, this.context.readyDeadline()).then(
          () => event("info", "runtime ready again"),
          (e: Error) => event("error", e.message),
        ),
      runtimeLost: (reason) => {
        this.writer.ledger.phase = "failed";
        this.writer.ledger.error = reason;
        void this.stop("SIGTERM", 4);
      },
    });
    this.actions = new Actions(this.context, this.processes, this.runtime);
    for (const spec of [options.runtime, ...options.agents]) this.processes.add(spec);
  }

  /** Starts the runtime, waits for it, then the agents. Throws (exit 4) when the runtime never gets ready. */
  async start(): Promise<void> {
    const { ledger } = this.writer;
    this.processes.startWatchdog();
    this.writer.save();
    this.writer.register();
    try {
      this.processes.launch(this.processes.runtime);
      await this.runtime.waitReady(this.processes.runtime, this.context.readyDeadline());
    } catch (error) {
      if (this.context.stopping) return; // Ctrl+C or `loom down` while starting: stop() finishes with its code
      ledger.phase = "failed";
      ledger.error = error instanceof Error ? error.message : String(error);
      this.context.stopping = true;
      await this.processes.stopAll("SIGTERM");
      this.finish(4);
      throw error;
    }
    if (this.context.stopping) return;
    this.context.event("info", `runtime ready: bridge ${ledger.bridge.address}${ledger.dashboard ? `, dashboard ${ledger.dashboard}` : ""}`);
    for (const slot of this.processes.agents) this.processes.launch(slot);
    ledger.phase = "running";
    this.writer.save();
    this.livenessTimer = setInterval(() => {
      this.processes.reapZombies();
      void this.runtime.checkLiveness(this.processes.runtime);
    }, this.options.livenessMs ?? LIVENESS_INTERVAL_MS);
    this.openControl();
    if (this.options.replan) {
      this.watcher = watchProject(this.options.project.root, (paths) =>
        this.queue(() => this.actions.filesChanged(paths)).catch((error: Error) => this.context.event("error", `after a change of ${paths.join(", ")}: ${error.message}`)),
      );
      this.context.event("info", "watching the project's files: agents restart when their code changes, loom.toml and .env are reloaded");
    }
    // Start-up code is done with: its pages go back to the kernel (system/libc.ts).
    setTimeout(() => this.context.deps.releasePages(), PAGEOUT_AFTER_MS).unref();
  }

  private openControl(): void {
    try {
      this.controlServer = this.options.control?.(
        (req) => this.control(req),
        (message) => this.context.event("warn", message),
      );
    } catch (error) {
      this.context.event("warn", `no control channel: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** `loom status|stop|start|restart` (state/control.ts). */
  control(req: ControlRequest): Promise<ControlReply> {
    if (req.cmd === "status") return Promise.resolve({ ok: true, ledger: this.writer.ledger });
    return this.queue(() => this.actions.act(req));
  }

  private queue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queueTail.then(work);
    this.queueTail = next.catch(() => {});
    return next;
  }

  /** Stops everything (agents first, the runtime last) and resolves `done` with `code`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", code = 0, graceMs?: number): Promise<void> {
    if (this.context.stopping) return;
    this.context.stopping = true;
    if (graceMs !== undefined) this.context.graceMs = graceMs;
    clearInterval(this.livenessTimer);
    const { ledger } = this.writer;
    ledger.phase = ledger.phase === "failed" ? "failed" : "stopping";
    this.writer.save();
    await this.processes.stopAll(signal);
    this.finish(code);
  }

  /** The second Ctrl+C: SIGKILL every group at once. */
  kill(code = 130): void {
    this.context.stopping = true;
    void this.processes.killAll().then(() => this.finish(code));
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.livenessTimer);
    this.processes.close();
    this.watcher?.close();
    this.controlServer?.close();
    this.writer.close(this.processes.hunted);
    this.options.lock?.release();
    this.resolveDone(code);
  }
}
