/**
 * What `loom restart|stop|start` and `loom run --watch` do to a running project (state/control.ts
 * brings the requests). Each answers once its action is done: stopped means the process group is
 * gone, started means the process runs (and, for the runtime, is ready). Actions run one at a
 * time (supervisor.ts queues them), so two clients never start a process twice.
 */
import type { ProcessSpec } from "../proc/spec";
import type { ControlReply, ControlRequest } from "../state/control";
import type { Processes } from "./processes";
import { agentsTouched, CONFIG_FILES, planChanges } from "./reload";
import { freshMemory } from "./restart-policy";
import type { SupervisorContext } from "./context";
import type { RuntimeStrategy } from "./runtime-lifecycle";
import { clearTimer, type Slot } from "./slot";
import { existsSync } from "node:fs";
import { join, relative } from "pathe";
import { isAgentFileName } from "../constants";

/** A file `loom run` discovers as an agent: directly in agents/, named as constants.ts says. */
const isAgentFile = (path: string) => path.startsWith("agents/") && !path.slice("agents/".length).includes("/") && isAgentFileName(path.slice("agents/".length));

export class Actions {
  constructor(
    private readonly context: SupervisorContext,
    private readonly processes: Processes,
    private readonly runtime: RuntimeStrategy,
  ) {}

  async act(req: Exclude<ControlRequest, { cmd: "status" }>): Promise<ControlReply> {
    const { ledger } = this.context.writer;
    if (this.context.stopping || ledger.phase !== "running")
      return { ok: false, code: "PROCESS", error: `loom is ${this.context.stopping ? "stopping" : ledger.phase}; try again when it runs` };
    const runtimeName = this.processes.runtime.spec.name;
    const agents = this.processes.agents.map((s) => s.spec.name);
    let names = req.cmd === "restart" && ((req.names.length === 0 && !req.runtime) || req.agents) ? agents : [...new Set(req.names)];
    if (req.cmd === "restart" && req.runtime) names = [runtimeName, ...names.filter((n) => n !== runtimeName)];
    const unknown = names.filter((n) => !this.processes.slots.has(n));
    if (unknown.length) return { ok: false, code: "USAGE", error: `no process named ${unknown.join(", ")} (there is ${[...this.processes.slots.keys()].join(", ")})` };
    if (this.runtime.notControllable && names.includes(runtimeName)) return { ok: false, code: "USAGE", error: this.runtime.notControllable };
    if (req.cmd === "stop" && names.includes(runtimeName))
      return { ok: false, code: "USAGE", error: `the runtime (${runtimeName}) is not stopped alone: \`loom restart --runtime\` restarts it, \`loom down\` stops everything` };
    if (req.cmd === "start")
      for (const path of req.paths ?? []) {
        const added = this.addFromFile(path);
        if (typeof added !== "string") return added;
        names.push(added);
      }
    const lines: string[] = [];
    for (const name of names) lines.push(await this.one(req.cmd, this.processes.slots.get(name)!));
    this.context.writer.save();
    return { ok: true, lines };
  }

  /** `loom start PATH`: the agent that file would be; its name, or the refusal. */
  private addFromFile(path: string): string | ControlReply {
    if (!this.context.options.planAgent) return { ok: false, code: "USAGE", error: "this supervisor cannot add agents" };
    const spec = this.context.options.planAgent(path);
    const existing = this.processes.slots.get(spec.name);
    if (existing && existing.spec.argv.join("\0") !== spec.argv.join("\0"))
      return { ok: false, code: "USAGE", error: `${path} would be named ${spec.name}, which is another process` };
    if (!existing) this.processes.add(spec).record.state = "stopped";
    return spec.name;
  }

  /** One stop, start or restart; a line saying what was done. */
  /** `counted`: a restart the user asked for by name counts in RESTARTS; one of `--watch` does not (pm2 counts neither as a crash). */
  async one(cmd: "stop" | "start" | "restart", slot: Slot, counted = true): Promise<string> {
    const name = slot.spec.name;
    if (cmd === "stop") {
      slot.held = true;
      const was = slot.child ? "" : " (it was not running)";
      if (slot.child) await this.processes.stop(slot);
      else clearTimer(slot);
      slot.child = undefined; // gone (a child that was never signalled, pid 0, included)
      slot.record.state = "stopped";
      return `${name}: stopped${was}`;
    }
    if (cmd === "start" && slot.child) return `${name}: already running (pid ${slot.child.pid})`;
    slot.held = false;
    if (slot.child) {
      slot.restarting = true;
      try {
        await this.processes.stop(slot);
      } finally {
        slot.restarting = false;
      }
    }
    clearTimer(slot);
    slot.memory = freshMemory(); // a crash loop is forgiven: the user asked for it
    if (this.context.stopping) return `${name}: not ${cmd === "restart" ? "restarted" : "started"}: loom is stopping`;
    if (cmd === "restart" && counted) slot.record.restarts++;
    this.processes.launch(slot);
    if (slot.spec.kind === "runtime") await this.runtime.waitReady(slot, this.context.readyDeadline());
    return `${name}: ${cmd === "restart" ? "restarted" : "started"} (pid ${slot.record.pid})`;
  }

  /** `--watch`: the agents a batch of changed files concerns restart; loom.toml or .env reload. */
  async filesChanged(paths: string[]): Promise<void> {
    if (this.context.stopping || this.context.writer.ledger.phase !== "running") return;
    const config = paths.filter((p) => CONFIG_FILES.includes(p));
    if (config.length) {
      await this.reload(config);
      return;
    }
    // An agent file that appeared or went away changes what runs: planned again, as loom.toml is.
    const scripts = new Set(this.processes.agents.flatMap((s) => (s.spec.source ? [relative(this.context.options.project.root, s.spec.source)] : [])));
    const comeOrGone = paths.filter((p) => isAgentFile(p) && scripts.has(p) !== existsSync(join(this.context.options.project.root, p)));
    // When that changed nothing that runs (`loom run a.py` names its agents), the file may be a helper they import.
    if (comeOrGone.length && (await this.reload(comeOrGone)) > 0) return;
    const live = this.processes.agents.filter((s) => !s.held);
    const touched = new Set(
      agentsTouched(
        paths,
        live.map((s) => s.spec),
        this.context.options.project.root,
      ),
    );
    const hit = live.filter((s) => touched.has(s.spec));
    if (hit.length === 0) return;
    this.context.event("info", `${paths.length === 1 ? paths[0] : `${paths.length} files`} changed; restarting ${hit.map((s) => s.spec.name).join(", ")}`);
    for (const slot of hit) await this.one("restart", slot, false);
    this.context.writer.save();
  }

  /** loom.toml or .env changed: what changed restarts; a broken file changes nothing. */
  private async reload(files: string[]): Promise<number> {
    let next: { runtime: ProcessSpec; agents: ProcessSpec[]; warnings?: string[] };
    try {
      next = await this.context.options.replan!();
    } catch (error) {
      this.context.event("error", `${files.join(" and ")} changed but cannot be used, so nothing was restarted: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
    const { slots } = this.processes;
    const agents = this.processes.agents;
    const changes = planChanges(
      { runtime: this.processes.runtime.spec, agents: agents.map((s) => s.spec), held: new Set(agents.filter((s) => s.held).map((s) => s.spec.name)) },
      next,
    );
    const done: string[] = [];
    if (changes.runtime) {
      this.processes.runtime.spec = changes.runtime;
      done.push(await this.one("restart", this.processes.runtime, false));
    }
    const start = new Set(changes.start);
    const restart = new Set(changes.restart);
    for (const spec of next.agents) {
      if (start.has(spec)) done.push(await this.one("start", this.processes.add(spec)));
      else if (restart.has(spec)) {
        const slot = slots.get(spec.name)!;
        slot.spec = spec;
        done.push(await this.one("restart", slot, false));
      }
    }
    for (const name of changes.stop) done.push(`${await this.one("stop", slots.get(name)!)} (no longer in loom.toml or agents/)`);
    this.context.event("info", `${files.join(" and ")} reloaded${done.length ? `: ${done.join("; ")}` : "; nothing that runs changed"}`);
    for (const w of next.warnings ?? []) this.context.event("warn", w);
    this.context.writer.save();
    return done.length;
  }
}
