/**
 * Running a prepared project: in the foreground (this process supervises, output on the
 * terminal, Ctrl+C handled), or detached (a background `loom __supervise` does, and this process
 * returns once everything is ready or has failed).
 */
import { describeBinary } from "../binaries/get-binary";
import { envNumber } from "../config/env-number";
import { closeSync } from "node:fs";
import { openAppendNoFollow, takePrivateJson } from "../files/private";
import { join } from "pathe";
import { hostPort } from "../net/address";
import { EXIT, LoomError } from "../errors";
import { DETACH_SETTLE_MS, LIVENESS_INTERVAL_MS, LOG_MAX_BYTES, STATE_DIR, STOP_GRACE_MS } from "../constants";
import { tailLines } from "../logs/tail";
import { serveControl } from "../state/control";
import { agentPlanner, prepare, replanner, type Prepared, type UpOptions } from "./prepare";
import { logText, Printer } from "../logs/printer";
import { restartSettingsFromEnv } from "../supervisor/restart-policy";
import { selfArgv } from "../proc/self";
import { STOP_REQUEST_FILE, downProject } from "./down";
import { readLedger, type ChildRecord, type Ledger } from "../state/ledger";
import { Supervisor, type EventLevel } from "../supervisor/supervisor";
import { startWatchdog } from "../proc/watchdog";

export interface RunOptions {
  graceMs?: number;
  /** Print processes' output (foreground); otherwise only loom's own events go to stdout. */
  printOutput: boolean;
  detached?: boolean;
  onEvent?: (level: EventLevel, message: string) => void;
  /** `loom run --watch`, and the agent paths `loom run` was given (planned again on a reload). */
  watch?: boolean;
  agentPaths?: string[];
}

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
    sink: printer?.sink,
    onEvent: o.onEvent ?? ((level, message) => printer?.line("loom", level === "info" ? message : `${level}: ${message}`)),
    watchdog: startWatchdog,
    lock: prepared.lock,
    runtimeDescription: describeBinary(prepared.binary, prepared.project.root),
    planAgent: agentPlanner(prepared, env),
    control: (handle, warn) => serveControl(prepared.project.root, handle, warn),
    replan: o.watch ? replanner(prepared, o.agentPaths, process.env) : undefined,
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
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onTerm);
  try {
    await sup.start();
    return await sup.done;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    process.off("SIGHUP", onTerm);
  }
}

/**
 * `run --detach` returns once every agent has stayed up for DETACH_SETTLE_MS (or exited cleanly),
 * so an agent that cannot start at all (a crash loop in its first seconds) is an exit 4 here, not
 * a surprise in a later CI step.
 */
function agentsSettled(ledger: Ledger, settleMs: number): boolean {
  const now = Date.now();
  return Object.values(ledger.children).every(
    (c) => c.kind !== "agent" || (c.state === "running" && c.startedAt !== undefined && now - c.startedAt >= settleMs) || (c.lastExit?.code === 0 && !c.lastExit.signal),
  );
}

function agentThatCannotStart(ledger: Ledger, settleMs: number): ChildRecord | undefined {
  return Object.values(ledger.children).find(
    (c) => c.kind === "agent" && (c.state === "crash-loop" || (c.state === "exited" && c.lastExit?.code !== 0 && (c.lastExit?.livedMs ?? 0) < settleMs)),
  );
}

async function failedAgent(root: string, agent: ChildRecord): Promise<never> {
  const lines = tailLines(agent.logs.err, 8).filter((l) => !l.startsWith("--- loom "));
  await downProject(root, { graceMs: 2_000 });
  throw new LoomError(
    "PROCESS",
    `agent ${agent.name} could not start: ${agent.reason ?? `it ${agent.lastExit?.signal ? `was killed by ${agent.lastExit.signal}` : `exited with code ${agent.lastExit?.code}`}`}`,
    {
      details: lines.length ? ["its last stderr lines:", ...lines.map((l) => `  ${l}`)] : [],
      hint: `everything was stopped; fix the agent and run again (\`loom logs ${agent.name}\` has its output)`,
    },
  );
}

/** What the background supervisor is started with: the options, already resolved by the parent. */
export interface DetachedSpec {
  up: UpOptions;
  graceMs?: number;
}

/** `loom __supervise <json>`: the background supervisor. */
export async function superviseMain(json: string): Promise<number> {
  const spec = JSON.parse(json) as DetachedSpec;
  const stamp = () => new Date().toISOString();
  const prepared = await prepare({ ...spec.up, env: process.env });
  return runSupervised(prepared, {
    graceMs: spec.graceMs,
    printOutput: false,
    detached: true,
    watch: spec.up.watch,
    agentPaths: spec.up.agentPaths,
    onEvent: (level, message) => console.log(`${stamp()} ${level} ${logText(message, "    ")}`),
  });
}

/**
 * Starts the background supervisor and waits until the ledger says everything is ready (or the
 * start failed, or the supervisor died). The parent has already prepared once, so configuration,
 * port and download errors were reported here with their own exit codes.
 */
export async function startDetached(prepared: Prepared, up: UpOptions, graceMs?: number): Promise<Ledger> {
  const root = prepared.project.root;
  const logFile = join(prepared.logsDir, "supervisor.log");
  const fd = openAppendNoFollow(logFile);
  // The background supervisor takes the project lock itself; a racing `loom up` that gets it
  // first makes it exit 4 ("already running"), which is reported here.
  prepared.lock.release();
  const spec: DetachedSpec = {
    up: {
      ...up,
      env: undefined,
      hooks: undefined,
      binary: prepared.binary,
      portsChecked: true,
      bridgePort: hostPort(prepared.project.config.bridge.address).port,
      dashboardPort: prepared.project.config.dashboard.port,
      logsDir: prepared.logsDir,
      projectDir: root,
    },
    graceMs,
  };
  const { BUN_BE_BUN: _, ...env } = process.env;
  const proc = Bun.spawn([...selfArgv(), "__supervise", JSON.stringify(spec)], { cwd: root, env, stdin: "ignore", stdout: fd, stderr: fd, detached: true });
  closeSync(fd);
  proc.unref();
  let exited: number | undefined;
  void proc.exited.then((c) => (exited = c));
  const deadline = Date.now() + (prepared.project.config.bridge.timeout_sec + 30) * 1000;
  const settleMs = envNumber(process.env, "LOOM_DETACH_SETTLE_MS", DETACH_SETTLE_MS);
  while (Date.now() < deadline) {
    const ledger = readLedger(root);
    if (ledger?.supervisor.pid === proc.pid) {
      if (ledger.phase === "running") {
        const failed = agentThatCannotStart(ledger, settleMs);
        if (failed) return await failedAgent(root, failed);
        if (agentsSettled(ledger, settleMs)) return ledger;
      }
      if (ledger.phase === "failed") break;
    }
    if (exited !== undefined) break;
    await Bun.sleep(10);
  }
  const ledger = readLedger(root);
  const lines = tailLines(logFile, 15);
  if (exited === undefined && ledger?.phase !== "failed") {
    process.kill(proc.pid, "SIGTERM");
  }
  // The supervisor's own error keeps its exit code (a bad LOOM_* number is 2, "already running" 4).
  const own = lines
    .filter((l) => l.startsWith("error: "))
    .pop()
    ?.slice(7);
  const code = exited === EXIT.usage ? "CONFIG" : exited === EXIT.download ? "DOWNLOAD" : "PROCESS";
  const message =
    ledger?.supervisor.pid === proc.pid && ledger.error
      ? ledger.error
      : (own ?? `the background supervisor did not get ready${exited !== undefined ? ` (it exited with code ${exited})` : ""}`);
  throw new LoomError(code, message, {
    details: lines.length ? [`${logFile}:`, ...lines.map((l) => `  ${l}`)] : [],
    hint: "`loom logs` shows each process's output",
  });
}
