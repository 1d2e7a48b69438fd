/**
 * The supervisor: starts the runtime, waits until it is really ready, starts the agents, restarts
 * what crashes (restart-policy.ts), checks the runtime's liveness, records everything in the
 * ledger, and stops every process group, agents first and the runtime last.
 */
import { randomBytes } from "node:crypto";
import { dirname, join, relative } from "pathe";
import { LoomError } from "../errors";
import { becomeSubreaper, releaseFilePages } from "../system/libc";
import type { ProjectConfig } from "../config/types";
import { spawnChild, type Child, type ConsoleSink } from "../proc/child";
import { FAILURE_TAIL_LINES, LIVENESS_FAILURES, LIVENESS_INTERVAL_MS, PAGEOUT_AFTER_MS, READY_POLL_MS } from "../constants";
import { dashboardHealthy, grpcHeartbeat } from "../net/health";
import { describeExit, hintFor } from "./hints";
import { describeStragglers, findStragglers, reapAdoptedZombies, stopStragglers } from "../proc/hunt";
import { RUN_ID_VAR, groupMembers, processStartTime, realGroupOf, signalGroup } from "../proc/identity";
import { hostPort } from "../net/address";
import { listenersOf } from "../net/ports";
import { tailLines } from "../logs/tail";
import type { ProcessSpec } from "../proc/spec";
import { DEFAULT_RESTART, decide, freshMemory, type ExitInfo, type RestartMemory, type RestartSettings } from "./restart-policy";
import type { ControlReply, ControlRequest, ControlServer } from "../state/control";
import type { ProjectLock } from "../state/lock";
import { removeLedger, writeLedger, writeStopReport, type ChildRecord, type Ledger } from "../state/ledger";
import { register, unregister } from "../state/registry";
import { stopGroup } from "../proc/terminate";
import type { WatchdogClient } from "../proc/watchdog";
import { type ProjectWatcher, watchProject } from "./watch";

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
  /** Plans an agent from a file for `loom start PATH` (plan.ts planAgents); none: not possible. */
  planAgent?: (path: string) => ProcessSpec;
  /** Opens the control channel once everything runs (control.ts); closed before the lock is released. */
  control?: (handle: (req: ControlRequest) => Promise<ControlReply>, warn: (message: string) => void) => ControlServer | undefined;
  /** `loom run --watch`: plans the processes again from loom.toml and .env (throws when they are broken). */
  replan?: () => Promise<{ runtime: ProcessSpec; agents: ProcessSpec[] }>;
}

export interface SupervisorDeps {
  spawn: typeof spawnChild;
  heartbeat: typeof grpcHeartbeat;
  dashboard: typeof dashboardHealthy;
  /** The pids listening on a port (ports.ts). */
  listeners: typeof listenersOf;
  /** Makes this process the subreaper of its descendants (system/libc.ts); a test's fake does not. */
  becomeSubreaper: () => boolean;
  /** Hands start-up pages back to the kernel (system/libc.ts). */
  releasePages: () => void;
}

interface Slot {
  spec: ProcessSpec;
  record: ChildRecord;
  child?: Child;
  memory: RestartMemory;
  timer?: ReturnType<typeof setTimeout>;
  /** Stopped by `loom stop`: not restarted until `loom start`. */
  held?: boolean;
  /** Being stopped by `loom restart`: its exit is not a crash. */
  restarting?: boolean;
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private readonly ledger: Ledger;
  private stopping = false;
  private livenessTimer?: ReturnType<typeof setInterval>;
  private livenessFailures = 0;
  private readonly runId = randomBytes(16).toString("hex");
  private watchdog?: WatchdogClient;
  private readonly subreaper: boolean;
  /** Descendants that had left their group and were stopped (reported to `loom down`). */
  private readonly hunted: string[] = [];
  /** `loom down --grace S` may change it for the stop it asks for. */
  private graceMs: number;
  private resolveDone!: (code: number) => void;
  /** Resolves with loom's exit code once everything is stopped. */
  readonly done = new Promise<number>((r) => (this.resolveDone = r));

  private readonly deps: SupervisorDeps;
  private controlServer?: ControlServer;
  private watcher?: ProjectWatcher;
  /** Control actions run one at a time, so two clients never start a process twice. */
  private controlQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SupervisorOptions) {
    this.deps = {
      spawn: spawnChild,
      heartbeat: grpcHeartbeat,
      dashboard: dashboardHealthy,
      listeners: listenersOf,
      becomeSubreaper,
      releasePages: () => void releaseFilePages(),
      ...o.deps,
    };
    const { config, root } = o.project;
    const dashboardOn = config.bridge.mode === "full" && config.dashboard.enabled;
    // Orphaned descendants come to the supervisor, not to init, so a stop can find them (hunt.ts).
    this.subreaper = this.deps.becomeSubreaper();
    this.graceMs = o.graceMs;
    this.ledger = {
      version: 1,
      root,
      runId: this.runId,
      phase: "starting",
      supervisor: { pid: process.pid, startTime: processStartTime(process.pid), startedAt: Date.now(), detached: o.detached },
      bridge: {
        address: config.bridge.address,
        mode: config.bridge.mode,
        runtime: o.runtimeDescription,
        ...(o.runtime.remote?.tls ? { tls: true } : {}),
        ...(o.runtime.env.LOOM_BRIDGE_SOCKET ? { socket: o.runtime.env.LOOM_BRIDGE_SOCKET } : {}),
      },
      dashboard: dashboardOn ? `http://${config.dashboard.host}:${config.dashboard.port}` : undefined,
      logsDir: o.logsDir,
      children: {},
    };
    for (const spec of [o.runtime, ...o.agents]) this.addSlot(spec);
  }

  private addSlot(spec: ProcessSpec): Slot {
    const record: ChildRecord = {
      name: spec.name,
      kind: spec.kind,
      state: "starting",
      restarts: 0,
      logs: { out: join(this.o.logsDir, `${spec.name}.log`), err: join(this.o.logsDir, `${spec.name}.err`) },
    };
    const slot: Slot = { spec, record, memory: freshMemory() };
    this.slots.set(spec.name, slot);
    this.ledger.children[spec.name] = record;
    return slot;
  }

  private event(level: EventLevel, message: string): void {
    this.o.onEvent?.(level, message);
  }

  private save(): void {
    try {
      writeLedger(this.ledger);
      this.savedAt = Date.now();
    } catch (error) {
      this.dropped(error, false); // a full disk never stops the supervising; `status` reports it when it can
    }
  }

  private savedAt = 0;

  /**
   * A log or ledger write failed: counted, reported once per kind of error, never fatal. The count
   * reaches the ledger (when the ledger's own disk has room) at most once a second.
   */
  private dropped(error: unknown, save = true): void {
    const message = error instanceof Error ? error.message : String(error);
    const first = this.ledger.dropped?.lastError !== message;
    this.ledger.dropped = { writes: (this.ledger.dropped?.writes ?? 0) + 1, lastError: message };
    if (first) this.event("warn", `dropping writes: ${message}`);
    if (save && (first || Date.now() - this.savedAt > 1_000)) this.save();
  }

  /** The watchdog; when it dies while the supervisor runs, another takes over its groups. */
  private startWatchdog(): void {
    if (!this.o.watchdog) return;
    const dog = this.o.watchdog(this.runId);
    this.watchdog = dog;
    this.ledger.watchdog = { pid: dog.pid, startTime: processStartTime(dog.pid) };
    for (const slot of this.slots.values()) if (slot.child?.pgid) dog.add(slot.child.pgid);
    void dog.exited.then(() => {
      if (this.finished || this.watchdog !== dog) return;
      this.startWatchdog();
      this.event("warn", `the watchdog (pid ${dog.pid}) died; started another (pid ${this.watchdog!.pid})`);
      this.save();
    });
  }

  private get runtimeSlot(): Slot {
    return this.slots.get(this.o.runtime.name)!;
  }

  /** Starts the runtime, waits for it, then the agents. Throws (exit 4) when the runtime never gets ready. */
  async start(): Promise<void> {
    this.startWatchdog();
    this.save();
    try {
      register({ root: this.o.project.root, runId: this.runId, supervisor: { pid: process.pid, startTime: this.ledger.supervisor.startTime } });
    } catch (error) {
      this.dropped(error);
    }
    try {
      this.launch(this.runtimeSlot);
      await this.waitReady(this.runtimeSlot, Date.now() + this.o.project.config.bridge.timeout_sec * 1000);
    } catch (error) {
      if (this.stopping) return; // Ctrl+C or `loom down` while starting: stop() finishes with its code
      this.ledger.phase = "failed";
      this.ledger.error = error instanceof Error ? error.message : String(error);
      this.stopping = true;
      await this.stopAll("SIGTERM");
      this.finish(4);
      throw error;
    }
    if (this.stopping) return;
    this.event("info", `runtime ready: bridge ${this.ledger.bridge.address}${this.ledger.dashboard ? `, dashboard ${this.ledger.dashboard}` : ""}`);
    for (const spec of this.o.agents) this.launch(this.slots.get(spec.name)!);
    this.ledger.phase = "running";
    this.save();
    this.livenessTimer = setInterval(() => void this.checkLiveness(), this.o.livenessMs ?? LIVENESS_INTERVAL_MS);
    try {
      this.controlServer = this.o.control?.(
        (req) => this.control(req),
        (message) => this.event("warn", message),
      );
    } catch (error) {
      this.event("warn", `no control channel: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (this.o.replan) {
      this.watcher = watchProject(this.o.project.root, (paths) =>
        this.queue(() => this.filesChanged(paths)).catch((error: Error) => this.event("error", `after a change of ${paths.join(", ")}: ${error.message}`)),
      );
      this.event("info", "watching the project's files: agents restart when their code changes, loom.toml and .env are reloaded");
    }
    // Start-up code is done with: its pages go back to the kernel (system/libc.ts).
    setTimeout(() => this.deps.releasePages(), PAGEOUT_AFTER_MS).unref();
  }

  private launch(slot: Slot): void {
    if (this.stopping) return; // a restart that a stop overtook starts nothing
    if (slot.spec.remote) {
      // Nothing to start: the Bridge runs elsewhere; readiness and liveness probe it.
      Object.assign(slot.record, { state: "running", remote: slot.spec.remote.address, startedAt: Date.now(), health: "unknown" });
      this.save();
      return;
    }
    const spec = { ...slot.spec, env: { ...slot.spec.env, [RUN_ID_VAR]: this.runId } };
    const child = this.deps.spawn(spec, { logsDir: this.o.logsDir, sink: this.o.sink, logMaxBytes: this.o.logMaxBytes, onWriteError: (e) => this.dropped(e) });
    slot.child = child;
    Object.assign(slot.record, { state: "running", pid: child.pid, pgid: child.pgid, startTime: child.startTime, startedAt: child.startedAt, reason: undefined });
    if (slot.spec.kind === "runtime") slot.record.health = "unknown";
    if (child.pgid) this.watchdog?.add(child.pgid);
    this.save();
    void child.exited.then((exit) => this.onExit(slot, child, exit));
  }

  private failureReport(slot: Slot, child: Child, exit: ExitInfo): { details: string[]; hint?: string } {
    const tail = child.stderrTail();
    const lines = tail.trim() ? tail.trimEnd().split("\n").slice(-FAILURE_TAIL_LINES) : tailLines(slot.record.logs.out, FAILURE_TAIL_LINES);
    return {
      details: [`it ${describeExit(exit.code, exit.signal)} after ${(exit.livedMs / 1000).toFixed(1)}s`, ...(lines.length ? ["last output:", ...lines.map((l) => `  ${l}`)] : [])],
      hint: hintFor(tail),
    };
  }

  private onExit(slot: Slot, child: Child, exit: ExitInfo): void {
    if (child.pgid) {
      // Whatever it left running in its group goes with it. Members alive means the group id is
      // still ours: a pid is not reused while a group of that id exists.
      if (groupMembers(child.pgid).length > 0) signalGroup(child.pgid, "SIGKILL");
      this.watchdog?.remove(child.pgid);
    }
    if (slot.child !== child) return;
    slot.child = undefined;
    slot.record.lastExit = { code: exit.code, signal: exit.signal, at: Date.now(), livedMs: exit.livedMs };
    slot.record.pid = slot.record.pgid = slot.record.startTime = undefined;
    if (this.stopping || slot.held || slot.restarting) {
      slot.record.state = "stopped";
      this.save();
      return;
    }
    const decision = decide(slot.spec.restart, exit, slot.memory, this.o.restart ?? DEFAULT_RESTART);
    slot.memory = decision.memory;
    if (decision.action === "restart") {
      slot.record.state = "backoff";
      this.event(
        exit.code === 0 && !exit.signal ? "info" : "warn",
        `${slot.spec.name} ${describeExit(exit.code, exit.signal)} after ${(exit.livedMs / 1000).toFixed(1)}s; restarting in ${decision.delayMs} ms`,
      );
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (this.stopping) return;
        slot.record.restarts++;
        this.launch(slot);
        if (slot.spec.kind === "runtime")
          void this.waitReady(slot, Date.now() + this.o.project.config.bridge.timeout_sec * 1000).then(
            () => this.event("info", "runtime ready again"),
            (e: Error) => this.event("error", e.message),
          );
      }, decision.delayMs);
      this.save();
      return;
    }
    if (decision.reason === "crash-loop") {
      const report = this.failureReport(slot, child, exit);
      slot.record.state = "crash-loop";
      slot.record.reason = `crash loop: failed ${decision.memory.fastFailures} times in a row, each within ${((this.o.restart ?? DEFAULT_RESTART).healthyMs / 1000).toFixed(0)}s; gave up`;
      this.event("error", [`${slot.spec.name}: ${slot.record.reason}`, ...report.details.map((d) => `  ${d}`), ...(report.hint ? [`  hint: ${report.hint}`] : [])].join("\n"));
      if (slot.spec.kind === "runtime") {
        this.ledger.phase = "failed";
        this.ledger.error = `the runtime is in a ${slot.record.reason}`;
        void this.stop("SIGTERM", 4);
      }
    } else {
      slot.record.state = "exited";
      this.event("info", `${slot.spec.name} ${describeExit(exit.code, exit.signal)}${decision.reason === "clean-exit" ? " (not restarted: it exited cleanly)" : ""}`);
    }
    this.save();
  }

  /** The remote Bridge's Heartbeat, with its TLS settings. */
  private probeRemote(slot: Slot) {
    const remote = slot.spec.remote!;
    return this.deps.heartbeat(remote.address, undefined, remote.tls ? { ca: remote.ca } : undefined);
  }

  private async waitReady(slot: Slot, deadline: number): Promise<void> {
    if (slot.spec.remote) return this.waitRemote(slot, deadline);
    const { config } = this.o.project;
    const full = config.bridge.mode === "full" && config.dashboard.enabled;
    let last = "not probed yet";
    const child = slot.child;
    let exited: ExitInfo | undefined;
    void child?.exited.then((e) => (exited = e));
    while (Date.now() < deadline) {
      if (exited || !slot.child || slot.child !== child) {
        const report = child && exited ? this.failureReport(slot, child, exited) : { details: [] };
        throw new LoomError("PROCESS", `the runtime (${slot.spec.argv[0]}) stopped before it was ready`, {
          details: report.details,
          hint: report.hint ?? "see the runtime's log: loom logs " + slot.spec.name,
        });
      }
      const bridge = await this.deps.heartbeat(config.bridge.address);
      const dash = bridge.ok && full ? await this.deps.dashboard(config.dashboard.host, config.dashboard.port) : { ok: true };
      const stranger = bridge.ok && dash.ok && child ? this.strangerOn(child, full) : undefined;
      if (stranger) {
        last = stranger;
        await Bun.sleep(READY_POLL_MS);
        continue;
      }
      if (bridge.ok && dash.ok) {
        slot.record.health = "ok";
        this.save();
        return;
      }
      last = bridge.ok ? `dashboard: ${dash.detail}` : `bridge ${config.bridge.address}: ${bridge.detail}`;
      await Bun.sleep(READY_POLL_MS);
    }
    const lines = [...tailLines(slot.record.logs.err, FAILURE_TAIL_LINES / 2), ...tailLines(slot.record.logs.out, FAILURE_TAIL_LINES / 2)].filter(
      (l) => !l.startsWith("--- loom "),
    );
    throw new LoomError("PROCESS", `the runtime was not ready after ${config.bridge.timeout_sec}s (last check: ${last})`, {
      details: lines.length ? ["runtime's last log lines:", ...lines.map((l) => `  ${l}`)] : [],
      hint: "raise [bridge] timeout_sec in loom.toml if it is only slow; otherwise see `loom logs " + slot.spec.name + "`",
    });
  }

  private async waitRemote(slot: Slot, deadline: number): Promise<void> {
    let last = "not probed yet";
    while (Date.now() < deadline && !this.stopping) {
      const probe = await this.probeRemote(slot);
      if (probe.ok) {
        slot.record.health = "ok";
        this.save();
        return;
      }
      last = probe.detail ?? "no answer";
      await Bun.sleep(READY_POLL_MS * 10);
    }
    const remote = slot.spec.remote!;
    throw new LoomError("PROCESS", `the remote Bridge at ${remote.address} did not answer its Heartbeat within ${this.o.project.config.bridge.timeout_sec}s (last: ${last})`, {
      hint: `is it running there, and reachable from here? \`loom ping --address ${remote.address}\`${remote.tls ? "" : "; if it speaks TLS, give https://HOST:PORT"}`,
    });
  }

  /**
   * Linux: who listens on the ports that answered. Ready means our runtime answered, not another
   * process on the same address: a listener must be in the runtime's process group. (When the
   * system cannot say, e.g. another network namespace, the answer is taken as it is.)
   */
  private strangerOn(child: Child, full: boolean): string | undefined {
    if (process.platform !== "linux" || !child.pgid) return undefined;
    const { config } = this.o.project;
    const ports: [string, number][] = [["bridge", hostPort(config.bridge.address).port]];
    if (full) ports.push(["dashboard", config.dashboard.port]);
    for (const [what, port] of ports) {
      const pids = this.deps.listeners(port);
      if (pids.length && !pids.some((pid) => realGroupOf(pid) === child.pgid))
        return `the ${what} port ${port} answers, but from pid ${pids.join(", ")}, not from the runtime (pid ${child.pid})`;
    }
    return undefined;
  }

  private async checkLiveness(): Promise<void> {
    if (this.subreaper) reapAdoptedZombies(new Set([...this.slots.values()].flatMap((s) => (s.child ? [s.child.pid] : [])).concat(this.watchdog ? [this.watchdog.pid] : [])));
    const slot = this.runtimeSlot;
    if (slot.spec.remote) return this.checkRemote(slot);
    if (this.stopping || !slot.child || slot.record.health === "unknown") return;
    const probe = await this.deps.heartbeat(this.o.project.config.bridge.address);
    if (probe.ok) {
      this.livenessFailures = 0;
      if (slot.record.health !== "ok") {
        slot.record.health = "ok";
        this.save();
      }
      return;
    }
    this.livenessFailures++;
    slot.record.health = "unhealthy";
    this.save();
    if (this.livenessFailures >= LIVENESS_FAILURES && slot.child) {
      this.event("warn", `runtime failed ${this.livenessFailures} heartbeats (${probe.detail}); restarting it`);
      this.livenessFailures = 0;
      await stopGroup(slot.child.pgid, { graceMs: this.o.graceMs, leaderExited: slot.child.exited });
    }
  }

  /**
   * A remote Bridge that stops answering is marked unreachable (after LIVENESS_FAILURES probes),
   * never restarted: the agents keep running and reconnect, or crash and are restarted with backoff.
   */
  private async checkRemote(slot: Slot): Promise<void> {
    if (this.stopping || slot.record.health === "unknown") return;
    const probe = await this.probeRemote(slot);
    const address = slot.spec.remote!.address;
    if (probe.ok) {
      this.livenessFailures = 0;
      if (slot.record.health !== "ok") {
        this.event("info", `the remote Bridge at ${address} answers again`);
        slot.record.health = "ok";
        this.save();
      }
      return;
    }
    this.livenessFailures++;
    if (this.livenessFailures >= LIVENESS_FAILURES && slot.record.health !== "unreachable") {
      slot.record.health = "unreachable";
      this.event("warn", `the remote Bridge at ${address} is unreachable (${probe.detail}); the agents keep running and reconnect when it is back`);
      this.save();
    }
  }

  /** Stops one process group (SIGTERM, then SIGKILL after the grace period) and waits for it. */
  private async stopSlot(slot: Slot, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const child = slot.child;
    if (!child?.pgid) return;
    slot.record.state = "stopping";
    const outcome = await stopGroup(child.pgid, { graceMs: this.graceMs, signal, leaderExited: child.exited });
    await child.exited;
    if (outcome.forced) this.event("warn", `${slot.spec.name} did not stop within ${this.graceMs} ms; killed it`);
  }

  private async stopAll(signal: NodeJS.Signals): Promise<void> {
    for (const slot of this.slots.values()) if (slot.timer) clearTimeout(slot.timer);
    const agents = [...this.slots.values()].filter((s) => s.spec.kind === "agent");
    await Promise.all(agents.map((slot) => this.stopSlot(slot, signal)));
    await this.stopSlot(this.runtimeSlot, signal);
    await this.huntStragglers(this.graceMs);
  }

  /**
   * `loom stop|start|restart` (control.ts). Each answers once its action is done: stopped means
   * the process group is gone, started means the process runs (and, for the runtime, is ready).
   */
  control(req: ControlRequest): Promise<ControlReply> {
    if (req.cmd === "status") return Promise.resolve({ ok: true, ledger: this.ledger });
    return this.queue(() => this.act(req));
  }

  private queue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.controlQueue.then(work);
    this.controlQueue = next.catch(() => {});
    return next;
  }

  /** `--watch`: which agents a batch of changed files concerns, or a reload of the configuration. */
  private async filesChanged(paths: string[]): Promise<void> {
    if (this.stopping || this.ledger.phase !== "running") return;
    const root = this.o.project.root;
    if (paths.some((p) => p === "loom.toml" || p === ".env")) return this.reload(paths.filter((p) => p === "loom.toml" || p === ".env"));
    const agents = [...this.slots.values()].filter((s) => s.spec.kind === "agent" && !s.held);
    const sources = new Set(agents.flatMap((s) => (s.spec.source ? [relative(root, s.spec.source)] : [])));
    const hit = agents.filter((slot) => {
      const own = slot.spec.source ? relative(root, slot.spec.source) : undefined;
      const dir = own !== undefined ? dirname(own) : undefined;
      return paths.some(
        (p) =>
          p === own ||
          // a file next to or under the agent's own that is not another agent: code it may import
          (dir !== undefined && !sources.has(p) && (dir === "." || p.startsWith(`${dir}/`))) ||
          (slot.spec.watch ?? []).some((glob) => new Bun.Glob(glob).match(p)),
      );
    });
    if (hit.length === 0) return;
    this.event("info", `${paths.length === 1 ? paths[0] : `${paths.length} files`} changed; restarting ${hit.map((s) => s.spec.name).join(", ")}`);
    for (const slot of hit) await this.controlOne("restart", slot);
    this.save();
  }

  /** loom.toml or .env changed: what changed restarts; a broken file changes nothing. */
  private async reload(files: string[]): Promise<void> {
    let next: { runtime: ProcessSpec; agents: ProcessSpec[] };
    try {
      next = await this.o.replan!();
    } catch (error) {
      this.event("error", `${files.join(" and ")} changed but cannot be used, so nothing was restarted: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const same = (a: ProcessSpec, b: ProcessSpec) => JSON.stringify([a.argv, a.cwd, a.env, a.restart, a.watch]) === JSON.stringify([b.argv, b.cwd, b.env, b.restart, b.watch]);
    const done: string[] = [];
    const runtime = this.runtimeSlot;
    if (!same(runtime.spec, next.runtime)) {
      runtime.spec = { ...next.runtime, name: runtime.spec.name };
      done.push(await this.controlOne("restart", runtime));
    }
    const planned = new Set(next.agents.map((a) => a.name));
    for (const spec of next.agents) {
      const slot = this.slots.get(spec.name);
      if (!slot) {
        done.push(await this.controlOne("start", this.addSlot(spec)));
        continue;
      }
      if (slot.held || same(slot.spec, spec)) continue;
      slot.spec = spec;
      done.push(await this.controlOne("restart", slot));
    }
    for (const slot of this.slots.values())
      if (slot.spec.kind === "agent" && !planned.has(slot.spec.name) && !slot.held) done.push(`${await this.controlOne("stop", slot)} (no longer in the configuration)`);
    this.event("info", `${files.join(" and ")} reloaded${done.length ? `: ${done.join("; ")}` : "; nothing that runs changed"}`);
    this.save();
  }

  private async act(req: Exclude<ControlRequest, { cmd: "status" }>): Promise<ControlReply> {
    if (this.stopping || this.ledger.phase !== "running")
      return { ok: false, code: "PROCESS", error: `loom is ${this.stopping ? "stopping" : this.ledger.phase}; try again when it runs` };
    const agents = [...this.slots.values()].filter((s) => s.spec.kind === "agent").map((s) => s.spec.name);
    let names = req.cmd === "restart" && ((req.names.length === 0 && !req.runtime) || req.agents) ? agents : [...new Set(req.names)];
    if (req.cmd === "restart" && req.runtime) names = [this.o.runtime.name, ...names.filter((n) => n !== this.o.runtime.name)];
    const unknown = names.filter((n) => !this.slots.has(n));
    if (unknown.length) return { ok: false, code: "USAGE", error: `no process named ${unknown.join(", ")} (there is ${[...this.slots.keys()].join(", ")})` };
    if (this.o.runtime.remote && names.includes(this.o.runtime.name))
      return { ok: false, code: "USAGE", error: `the Bridge runs elsewhere (${this.o.runtime.remote.address}); loom can restart, stop and start only the agents here` };
    if (req.cmd === "stop" && names.includes(this.o.runtime.name))
      return {
        ok: false,
        code: "USAGE",
        error: `the runtime (${this.o.runtime.name}) is not stopped alone: \`loom restart --runtime\` restarts it, \`loom down\` stops everything`,
      };
    const lines: string[] = [];
    if (req.cmd === "start") {
      for (const path of req.paths ?? []) {
        if (!this.o.planAgent) return { ok: false, code: "USAGE", error: "this supervisor cannot add agents" };
        const spec = this.o.planAgent(path);
        const existing = this.slots.get(spec.name);
        if (existing && existing.spec.argv.join("\0") !== spec.argv.join("\0"))
          return { ok: false, code: "USAGE", error: `${path} would be named ${spec.name}, which is another process` };
        if (!existing) this.addSlot(spec).record.state = "stopped";
        names.push(spec.name);
      }
    }
    for (const name of names) lines.push(await this.controlOne(req.cmd, this.slots.get(name)!));
    this.save();
    return { ok: true, lines };
  }

  private async controlOne(cmd: "stop" | "start" | "restart", slot: Slot): Promise<string> {
    const name = slot.spec.name;
    if (cmd === "stop") {
      slot.held = true;
      if (!slot.child) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = undefined;
        slot.record.state = "stopped";
        return `${name}: stopped (it was not running)`;
      }
      await this.stopSlot(slot);
      slot.child = undefined; // gone (a child that was never signalled, pid 0, included)
      slot.record.state = "stopped";
      return `${name}: stopped`;
    }
    if (cmd === "start" && slot.child) return `${name}: already running (pid ${slot.child.pid})`;
    slot.held = false;
    if (slot.child) {
      slot.restarting = true;
      try {
        await this.stopSlot(slot);
      } finally {
        slot.restarting = false;
      }
    }
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.memory = freshMemory(); // a crash loop is forgiven: the user asked for it
    if (this.stopping) return `${name}: not ${cmd === "restart" ? "restarted" : "started"}: loom is stopping`;
    if (cmd === "restart") slot.record.restarts++;
    this.launch(slot);
    if (slot.spec.kind === "runtime") await this.waitReady(slot, Date.now() + this.o.project.config.bridge.timeout_sec * 1000);
    return `${name}: ${cmd === "restart" ? "restarted" : "started"} (pid ${slot.record.pid})`;
  }

  /** Descendants that left their process group: by the run id, and orphans adopted as subreaper. */
  private async huntStragglers(graceMs: number): Promise<void> {
    const exclude = new Set<number>([...(this.watchdog ? [this.watchdog.pid] : [])]);
    for (let round = 0; round < 3; round++) {
      // An adopted orphan's own children are adopted when it dies: look again until none is left.
      const found = findStragglers(this.runId, { adoptedBy: this.subreaper ? process.pid : undefined, exclude });
      if (found.length === 0) return;
      this.event("warn", `stopping ${found.length} process${found.length === 1 ? "" : "es"} that left their process group: ${describeStragglers(found)}`);
      this.hunted.push(describeStragglers(found));
      await stopStragglers(found, graceMs);
    }
  }

  /** Stops everything (agents first, the runtime last) and resolves `done` with `code`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", code = 0, graceMs?: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (graceMs !== undefined) this.graceMs = graceMs;
    clearInterval(this.livenessTimer);
    this.ledger.phase = this.ledger.phase === "failed" ? "failed" : "stopping";
    this.save();
    await this.stopAll(signal);
    this.finish(code);
  }

  /** The second Ctrl+C: SIGKILL every group at once. */
  kill(code = 130): void {
    this.stopping = true;
    for (const slot of this.slots.values()) if (slot.child?.pgid) signalGroup(slot.child.pgid, "SIGKILL");
    void Promise.all([...this.slots.values()].map((s) => s.child?.exited)).then(() => this.finish(code));
  }

  private finished = false;
  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    for (const slot of this.slots.values()) if (slot.record.state !== "crash-loop") slot.record.state = "stopped";
    const dog = this.watchdog;
    this.watchdog = undefined;
    dog?.close();
    this.watcher?.close();
    this.controlServer?.close();
    // A failed start keeps its ledger (phase "failed", nothing alive) so `loom status` can say why.
    if (this.ledger.phase === "failed") this.save();
    else removeLedger(this.o.project.root);
    if (this.hunted.length) writeStopReport(this.o.project.root, this.hunted);
    unregister(this.o.project.root);
    this.o.lock?.release();
    this.resolveDone(code);
  }
}
