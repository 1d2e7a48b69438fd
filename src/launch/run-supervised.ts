/**
 * Running a prepared project under a supervisor in this process: in the foreground (output on the
 * terminal, Ctrl+C handled), or as the background supervisor of a detached start (detach.ts).
 */
import { describeBinary } from "../binaries/result";
import { envNumber } from "../config/env/env-number";
import { join } from "pathe";
import { EXIT } from "../errors";
import { takePrivateJson } from "../files/private";
import { LIVENESS_INTERVAL_MS, LOG_MAX_BYTES, STATE_DIR, STOP_GRACE_MS } from "../constants";
import { serveControl } from "../state/control";
import type { Prepared } from "./prepare";
import { Printer } from "../logs/printer";
import type { ConsoleSink } from "../logs/sink";
import { restartSettingsFromEnv } from "../supervisor/restart-policy";
import { STOP_REQUEST_FILE } from "./down";
import { Supervisor, type EventLevel } from "../supervisor/supervisor";
import { startWatchdog } from "../proc/watchdog";

export interface RunOptions {
  /** Called once everything was started (a detached supervisor reports to its parent then). */
  onStarted?: (sup: Supervisor) => void;
  graceMs?: number;
  /** Print processes' output (foreground); otherwise only loom's own events go to stdout. */
  printOutput: boolean;
  detached?: boolean;
  onEvent?: (level: EventLevel, message: string) => void;
  /** `loom run --watch`, and the agent paths `loom run` was given (planned again on a reload). */
  watch?: boolean;
  agentPaths?: string[];
  /** Where the processes' output goes besides their log files, when not printed (the library's onOutput). */
  sink?: ConsoleSink;
  /** SIGINT, SIGTERM and SIGHUP of this process stop the project (default true; the library may leave them to its caller). */
  handleSignals?: boolean;
  /** Aborting it stops the project, as SIGTERM does. */
  signal?: AbortSignal;
  /**
   * Whether this process is loom's own (the CLI), so that orphans re-parented to it belong to the
   * run (default true). In a host program (the library) they may be the host's: it then never
   * becomes a subreaper, and stops only what carries the run's id.
   */
  ownProcess?: boolean;
}

/**
 * prepare.ts, loaded when the supervisor plans again (`loom start PATH`, a `--watch` reload): it
 * brings the configuration's and the binaries' modules, which a background supervisor handed its
 * plan (detached-supervisor.ts) does not otherwise evaluate (docs/benchmarks.md, issue 30).
 */
const planning = () => require("./prepare") as typeof import("./prepare");

function supervisorFor(prepared: Prepared, o: RunOptions, printer?: Printer): Supervisor {
  const env = prepared.project.env;
  return new Supervisor({
    project: prepared.project,
    runtime: prepared.runtime,
    agents: prepared.agents,
    logsDir: prepared.logsDir,
    graceMs: o.graceMs ?? STOP_GRACE_MS,
    detached: o.detached ?? false,
    restart: restartSettingsFromEnv(env),
    livenessMs: envNumber(env, "LOOM_LIVENESS_INTERVAL_MS", LIVENESS_INTERVAL_MS, 10),
    logMaxBytes: envNumber(env, "LOOM_LOG_MAX_BYTES", LOG_MAX_BYTES, 1024),
    sink: printer?.sink ?? o.sink,
    onRun: printer ? (name, phase, restarted) => printer.run(name, phase, restarted) : undefined,
    onEvent: o.onEvent ?? ((level, message) => printer?.line("loom", level === "info" ? message : `${level}: ${message}`)),
    watchdog: startWatchdog,
    lock: prepared.lock,
    runtimeDescription: describeBinary(prepared.binary, prepared.project.root),
    planAgent: (path) => planning().agentPlanner(prepared, env)(path),
    control: (handle, warn) => serveControl(prepared.project.root, handle, warn),
    replan: o.watch ? () => planning().replanner(prepared, o.agentPaths, process.env)() : undefined,
    deps: o.ownProcess === false ? { becomeSubreaper: () => false } : undefined,
  });
}

/** The grace period a `loom down` asked for, if it left a request of the user's own. */
function takeStopRequest(root: string): number | undefined {
  const graceMs = Number(takePrivateJson(join(root, STATE_DIR, STOP_REQUEST_FILE))?.graceMs);
  return Number.isFinite(graceMs) && graceMs >= 0 ? graceMs : undefined;
}

/** Supervises in this process until stopped; returns loom's exit code. */
export async function runSupervised(prepared: Prepared, o: RunOptions): Promise<number> {
  // `loom run | head`: when the reader goes away, everything stops, quietly.
  const printer = o.printOutput
    ? new Printer(["loom", prepared.runtime.name, ...prepared.agents.map((a) => a.name)], process.stdout, () => void sup.stop("SIGTERM", EXIT.ok))
    : undefined;
  const sup = supervisorFor(prepared, o, printer);
  let interrupts = 0;
  const onInt = () => {
    interrupts++;
    if (interrupts === 1) {
      printer?.line("loom", "stopping (press Ctrl+C again to kill at once)");
      void sup.stop("SIGINT", EXIT.interrupted);
    } else sup.kill(EXIT.interrupted);
  };
  // `loom down --grace S` leaves its grace period in .loom/stop-request before its SIGTERM.
  const onTerm = () => void sup.stop("SIGTERM", EXIT.ok, takeStopRequest(prepared.project.root));
  const signals = o.handleSignals ?? true;
  if (signals) {
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    process.on("SIGHUP", onTerm);
  }
  const onAbort = () => void sup.stop("SIGTERM", EXIT.ok);
  o.signal?.addEventListener("abort", onAbort);
  try {
    await sup.start();
    o.onStarted?.(sup);
    return await sup.done;
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    if (signals) {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onTerm);
    }
  }
}
