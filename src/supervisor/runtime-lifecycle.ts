/**
 * The runtime, local or remote, chosen once (supervisor.ts): how it starts, when it is ready, and
 * how its liveness is watched.
 * - Local (a native binary or the embedded Bridge): spawned like any process; ready when its
 *   Heartbeat answers (and in full mode the dashboard's /api/metrics) from its own process group;
 *   restarted after LIVENESS_FAILURES failed heartbeats.
 * - Remote (`--bridge`, `[bridge] runtime = "remote"`): nothing starts; ready when its Heartbeat
 *   answers (over TLS when asked); never restarted, only marked unreachable.
 */
import { LIVENESS_FAILURES, READY_POLL_MS } from "../constants";
import { LoomError } from "../errors";
import { tailLines } from "../logs/tail";
import { hostPort } from "../net/address";
import type { ProbeResult } from "../net/health";
import type { Child } from "../proc/child";
import { realGroupOf } from "../proc/identity";
import type { ExitInfo } from "../proc/spec";
import { FAILURE_TAIL_LINES } from "../constants";
import type { Processes } from "./processes";
import type { SupervisorContext } from "./context";
import { failureReport, type Slot } from "./slot";

export interface RuntimeStrategy {
  start(slot: Slot): void;
  waitReady(slot: Slot, deadline: number): Promise<void>;
  checkLiveness(slot: Slot): Promise<void>;
  /** Why `loom restart|stop|start` cannot act on this runtime, if it cannot. */
  notControllable?: string;
}

export function localRuntime(context: SupervisorContext, processes: () => Processes): RuntimeStrategy {
  const { config } = context.options.project;
  const full = config.bridge.mode === "full" && config.dashboard.enabled;
  let failures = 0;

  /**
   * Linux: who listens on the ports that answered. Ready means our runtime answered, not another
   * process on the same address: a listener must be in the runtime's process group. (When the
   * system cannot say, e.g. another network namespace, the answer is taken as it is.)
   */
  const strangerOn = (child: Child): string | undefined => {
    if (process.platform !== "linux" || !child.pgid) return undefined;
    const ports: [string, number][] = [["bridge", hostPort(config.bridge.address).port]];
    if (full) ports.push(["dashboard", config.dashboard.port]);
    for (const [what, port] of ports) {
      const pids = context.deps.listeners(port);
      if (pids.length && !pids.some((pid) => realGroupOf(pid) === child.pgid))
        return `the ${what} port ${port} answers, but from pid ${pids.join(", ")}, not from the runtime (pid ${child.pid})`;
    }
    return undefined;
  };

  return {
    start: (slot) => processes().spawn(slot),
    async waitReady(slot, deadline) {
      let last = "not probed yet";
      const child = slot.child;
      let exited: ExitInfo | undefined;
      void child?.exited.then((e) => (exited = e));
      while (Date.now() < deadline) {
        if (exited || !slot.child || slot.child !== child) {
          const report = child && exited ? failureReport(slot, child, exited) : { details: [] };
          throw new LoomError("PROCESS", `the runtime (${slot.spec.argv[0]}) stopped before it was ready`, {
            details: report.details,
            hint: report.hint ?? `see the runtime's log: loom logs ${slot.spec.name}`,
          });
        }
        const bridge = await context.deps.heartbeat(config.bridge.address);
        const dash = bridge.ok && full ? await context.deps.dashboard(config.dashboard.host, config.dashboard.port) : { ok: true };
        const stranger = bridge.ok && dash.ok && child ? strangerOn(child) : undefined;
        if (bridge.ok && dash.ok && !stranger) {
          slot.record.health = "ok";
          return context.writer.save();
        }
        last = stranger ?? (bridge.ok ? `dashboard: ${dash.detail}` : `bridge ${config.bridge.address}: ${bridge.detail}`);
        await Bun.sleep(READY_POLL_MS);
      }
      const lines = [...tailLines(slot.record.logs.err, FAILURE_TAIL_LINES / 2), ...tailLines(slot.record.logs.out, FAILURE_TAIL_LINES / 2)].filter(
        (l) => !l.startsWith("--- loom "),
      );
      throw new LoomError("PROCESS", `the runtime was not ready after ${config.bridge.timeout_sec}s (last check: ${last})`, {
        details: lines.length ? ["runtime's last log lines:", ...lines.map((l) => `  ${l}`)] : [],
        hint: `raise [bridge] timeout_sec in loom.toml if it is only slow; otherwise see \`loom logs ${slot.spec.name}\``,
      });
    },
    async checkLiveness(slot) {
      if (context.stopping || !slot.child || slot.record.health === "unknown") return;
      const probe = await context.deps.heartbeat(config.bridge.address);
      if (probe.ok) {
        failures = 0;
        if (slot.record.health !== "ok") {
          slot.record.health = "ok";
          context.writer.save();
        }
        return;
      }
      failures++;
      slot.record.health = "unhealthy";
      context.writer.save();
      if (failures >= LIVENESS_FAILURES && slot.child) {
        context.event("warn", `runtime failed ${failures} heartbeats (${probe.detail}); restarting it`);
        failures = 0;
        await context.deps.stopGroup(slot.child.pgid, { graceMs: context.options.graceMs, leaderExited: slot.child.exited });
      }
    },
  };
}

export function remoteRuntime(context: SupervisorContext, remote: NonNullable<Slot["spec"]["remote"]>): RuntimeStrategy {
  const probe = (): Promise<ProbeResult> => context.deps.heartbeat(remote.address, undefined, remote.tls ? { ca: remote.ca } : undefined);
  let failures = 0;
  return {
    notControllable: `the Bridge runs elsewhere (${remote.address}); loom can restart, stop and start only the agents here`,
    start(slot) {
      // Nothing to start: the Bridge runs elsewhere; readiness and liveness probe it.
      Object.assign(slot.record, { state: "running", remote: remote.address, startedAt: Date.now(), health: "unknown" });
      context.writer.save();
    },
    async waitReady(slot, deadline) {
      let last = "not probed yet";
      while (Date.now() < deadline && !context.stopping) {
        const answer = await probe();
        if (answer.ok) {
          slot.record.health = "ok";
          return context.writer.save();
        }
        last = answer.detail ?? "no answer";
        await Bun.sleep(READY_POLL_MS * 10);
      }
      throw new LoomError(
        "PROCESS",
        `the remote Bridge at ${remote.address} did not answer its Heartbeat within ${context.options.project.config.bridge.timeout_sec}s (last: ${last})`,
        {
          hint: `is it running there, and reachable from here? \`loom ping --address ${remote.address}\`${remote.tls ? "" : "; if it speaks TLS, give https://HOST:PORT"}`,
        },
      );
    },
    /**
     * A remote Bridge that stops answering is marked unreachable (after LIVENESS_FAILURES probes),
     * never restarted: the agents keep running and reconnect, or crash and are restarted with backoff.
     */
    async checkLiveness(slot) {
      if (context.stopping || slot.record.health === "unknown") return;
      const answer = await probe();
      if (answer.ok) {
        failures = 0;
        if (slot.record.health !== "ok") {
          context.event("info", `the remote Bridge at ${remote.address} answers again`);
          slot.record.health = "ok";
          context.writer.save();
        }
        return;
      }
      failures++;
      if (failures >= LIVENESS_FAILURES && slot.record.health !== "unreachable") {
        slot.record.health = "unreachable";
        context.event("warn", `the remote Bridge at ${remote.address} is unreachable (${answer.detail}); the agents keep running and reconnect when it is back`);
        context.writer.save();
      }
    },
  };
}
