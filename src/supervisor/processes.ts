/**
 * The supervised processes: starting one (with the run id in its environment, its group given to
 * the watchdog), what happens when one exits (restart-policy.ts decides), stopping one or all
 * (agents first, the runtime last), and the descendants that left their groups (proc/hunt.ts).
 */
import type { Child } from "../proc/child";
import { describeStragglers, findStragglers, reapAdoptedZombies, stopStragglers } from "../proc/hunt";
import { groupMembers, processStartTime, RUN_ID_VAR } from "../proc/identity";
import type { ExitInfo, ProcessSpec } from "../proc/spec";
import type { WatchdogClient } from "../proc/watchdog";
import { describeExit } from "./hints";
import { DEFAULT_RESTART, decide } from "./restart-policy";
import type { SupervisorContext } from "./context";
import { clearTimer, failureReport, newSlot, type Slot } from "./slot";

export class Processes {
  readonly slots = new Map<string, Slot>();
  /** Descendants that had left their group and were stopped (reported to `loom down`). */
  readonly hunted: string[] = [];
  private watchdog?: WatchdogClient;
  private closed = false;
  private readonly subreaper: boolean;

  /**
   * `spawnRuntime` starts the runtime's slot as its strategy says (runtime-lifecycle.ts); `runtimeBack` is
   * called after the runtime was restarted by its policy; `runtimeLost` when it gave up on it.
   */
  constructor(
    private readonly context: SupervisorContext,
    private readonly hooks: { spawnRuntime: (slot: Slot) => void; runtimeBack: (slot: Slot) => void; runtimeLost: (reason: string) => void },
  ) {
    // Orphaned descendants come to the supervisor, not to init, so a stop can find them (proc/hunt.ts).
    this.subreaper = context.deps.becomeSubreaper();
  }

  add(spec: ProcessSpec): Slot {
    const slot = newSlot(spec, this.context.options.logsDir);
    this.slots.set(spec.name, slot);
    this.context.writer.ledger.children[spec.name] = slot.record;
    return slot;
  }

  get runtime(): Slot {
    return this.slots.get(this.context.options.runtime.name)!;
  }

  get agents(): Slot[] {
    return [...this.slots.values()].filter((s) => s.spec.kind === "agent");
  }

  /** Starts `slot` (a restart that a stop overtook starts nothing). */
  launch(slot: Slot): void {
    if (this.context.stopping) return;
    // After a failure only: a run after a clean exit (restart = "always") prints its output again.
    const failed = slot.record.lastExit !== undefined && (slot.record.lastExit.code !== 0 || slot.record.lastExit.signal !== null);
    this.context.options.onRun?.(slot.spec.name, "start", failed);
    if (slot.spec.kind === "runtime") this.hooks.spawnRuntime(slot);
    else this.spawn(slot);
  }

  /** Spawns `slot`'s process in its own group and follows its exit. */
  spawn(slot: Slot): void {
    const { options, deps, runId, writer } = this.context;
    const spec = { ...slot.spec, env: { ...slot.spec.env, [RUN_ID_VAR]: runId } };
    const child = deps.spawn(spec, { logsDir: options.logsDir, sink: options.sink, logMaxBytes: options.logMaxBytes, onWriteError: (e) => writer.dropped(e) });
    slot.child = child;
    Object.assign(slot.record, { state: "running", pid: child.pid, pgid: child.pgid, startTime: child.startTime, startedAt: child.startedAt, reason: undefined });
    if (slot.spec.kind === "runtime") slot.record.health = "unknown";
    if (child.pgid) this.watchdog?.add(child.pgid);
    writer.save();
    void child.exited.then((exit) => this.onExit(slot, child, exit));
  }

  private onExit(slot: Slot, child: Child, exit: ExitInfo): void {
    const { options, writer } = this.context;
    if (child.pgid) {
      // Whatever it left running in its group goes with it. The kernel checks and signals the
      // group in one step (nothing when it is empty); members, zombies too, keep the group id from
      // reuse, so a group that still exists is still ours. (A /proc scan first took 1-3 ms of
      // every restart, more on a machine with many processes: bench/restart-latency.ts.)
      if (process.platform !== "win32" || groupMembers(child.pgid).length > 0) this.context.deps.signalGroup(child.pgid, "SIGKILL");
      this.watchdog?.remove(child.pgid);
    }
    if (slot.child !== child) return;
    slot.child = undefined;
    this.context.options.onRun?.(slot.spec.name, "end");
    slot.record.lastExit = { code: exit.code, signal: exit.signal, at: Date.now(), livedMs: exit.livedMs };
    slot.record.pid = slot.record.pgid = slot.record.startTime = undefined;
    if (this.context.stopping || slot.held || slot.restarting) {
      slot.record.state = "stopped";
      writer.save();
      return;
    }
    const settings = options.restart ?? DEFAULT_RESTART;
    const decision = decide(slot.spec.restart, exit, slot.memory, settings);
    slot.memory = decision.memory;
    const how = `${slot.spec.name} ${describeExit(exit.code, exit.signal)}`;
    if (decision.action === "restart") {
      slot.record.state = "backoff";
      this.context.event(exit.code === 0 && !exit.signal ? "info" : "warn", `${how} after ${(exit.livedMs / 1000).toFixed(1)}s; restarting in ${decision.delayMs} ms`);
      const restart = () => {
        slot.timer = undefined;
        if (this.context.stopping) return;
        slot.record.restarts++;
        this.launch(slot);
        if (slot.spec.kind === "runtime") this.hooks.runtimeBack(slot);
      };
      // An immediate restart is immediate: a timer of 0 still waits for the next turn of the loop.
      if (decision.delayMs === 0) restart();
      else slot.timer = setTimeout(restart, decision.delayMs);
    } else if (decision.reason === "crash-loop") {
      const report = failureReport(slot, child, exit);
      slot.record.state = "crash-loop";
      slot.record.reason = `crash loop: failed ${decision.memory.fastFailures} times in a row, each within ${(settings.healthyMs / 1000).toFixed(0)}s; gave up`;
      this.context.event(
        "error",
        [`${slot.spec.name}: ${slot.record.reason}`, ...report.details.map((d) => `  ${d}`), ...(report.hint ? [`  hint: ${report.hint}`] : [])].join("\n"),
      );
      if (slot.spec.kind === "runtime") this.hooks.runtimeLost(`the runtime is in a ${slot.record.reason}`);
    } else {
      slot.record.state = "exited";
      this.context.event("info", `${how}${decision.reason === "clean-exit" ? " (not restarted: it exited cleanly)" : ""}`);
    }
    writer.save();
  }

  /** Stops one process group (SIGTERM, then SIGKILL after the grace period) and waits for it. */
  async stop(slot: Slot, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    clearTimer(slot);
    const child = slot.child;
    if (!child?.pgid) return;
    slot.record.state = "stopping";
    const outcome = await this.context.deps.stopGroup(child.pgid, { graceMs: this.context.graceMs, signal, leaderExited: child.exited });
    await child.exited;
    if (outcome.forced) this.context.event("warn", `${slot.spec.name} did not stop within ${this.context.graceMs} ms; killed it`);
  }

  /** Agents first, the runtime last, then whatever left its group. */
  async stopAll(signal: NodeJS.Signals): Promise<void> {
    for (const slot of this.slots.values()) clearTimer(slot);
    await Promise.all(this.agents.map((slot) => this.stop(slot, signal)));
    await this.stop(this.runtime, signal);
    await this.hunt();
  }

  /** The second Ctrl+C: SIGKILL every group at once; resolves when all have exited. */
  killAll(): Promise<unknown> {
    for (const slot of this.slots.values()) if (slot.child?.pgid) this.context.deps.signalGroup(slot.child.pgid, "SIGKILL");
    return Promise.all([...this.slots.values()].map((s) => s.child?.exited));
  }

  /** Descendants that left their process group: by the run id, and orphans adopted as subreaper. */
  private async hunt(): Promise<void> {
    const exclude = new Set<number>(this.watchdog ? [this.watchdog.pid] : []);
    for (let round = 0; round < 3; round++) {
      // An adopted orphan's own children are adopted when it dies: look again until none is left.
      const found = findStragglers(this.context.runId, { adoptedBy: this.subreaper ? process.pid : undefined, exclude });
      if (found.length === 0) return;
      this.context.event("warn", `stopping ${found.length} process${found.length === 1 ? "" : "es"} that left their process group: ${describeStragglers(found)}`);
      this.hunted.push(describeStragglers(found));
      await stopStragglers(found, this.context.graceMs);
    }
  }

  /** Zombies of orphans adopted as subreaper (a long run with daemonising agents leaves none). */
  reapZombies(): void {
    if (!this.subreaper) return;
    const ours = [...this.slots.values()].flatMap((s) => (s.child ? [s.child.pid] : []));
    reapAdoptedZombies(new Set(this.watchdog ? [...ours, this.watchdog.pid] : ours));
  }

  /** The watchdog; when it dies while the supervisor runs, another takes over its groups. */
  startWatchdog(): void {
    const start = this.context.options.watchdog;
    if (!start || this.closed) return;
    const dog = start(this.context.runId);
    this.watchdog = dog;
    this.context.writer.ledger.watchdog = { pid: dog.pid, startTime: processStartTime(dog.pid) };
    for (const slot of this.slots.values()) if (slot.child?.pgid) dog.add(slot.child.pgid);
    void dog.exited.then(() => {
      if (this.closed || this.watchdog !== dog) return;
      this.startWatchdog();
      this.context.event("warn", `the watchdog (pid ${dog.pid}) died; started another (pid ${this.watchdog!.pid})`);
      this.context.writer.save();
    });
  }

  /** Everything is stopped: the watchdog exits without killing. */
  close(): void {
    this.closed = true;
    const dog = this.watchdog;
    this.watchdog = undefined;
    dog?.close();
    for (const slot of this.slots.values()) if (slot.record.state !== "crash-loop") slot.record.state = "stopped";
  }
}
