/**
 * The runtime module as a library, in the concepts and names of upstream's Python SDK
 * (`run_orchestrator(OrchestratorConfig(...))`, in camelCase): a project run from code, through
 * the same preparation and supervisor as `loom run` (launch/prepare.ts, launch/run-supervised.ts). The
 * library never prints: what the CLI would print comes as events, the processes' output (also in
 * their log files) through `onOutput`.
 */
import type { BridgeMode, RuntimeChoice } from "../config/types";
import { EXIT, LoomError } from "../errors";
import { type Prepared, prepare } from "../launch/prepare";
import { runSupervised } from "../launch/run-supervised";
import { waitForAgents } from "../launch/wait-agents";
import { readLedger } from "../state/ledger";
import { isAbsolute, resolve } from "pathe";
import type { Stream } from "../logs/sink";
import type { EventLevel } from "../supervisor/options";

export interface OrchestratorEvent {
  level: EventLevel;
  message: string;
}

export interface OrchestratorConfig {
  /** The project: its loom.toml (or none: every default), agents/ and .loom/. */
  projectDir: string;
  /** "full" (the Bridge and the dashboard) or "bridge-only"; loom.toml's [bridge] mode by default. */
  runtimeMode?: BridgeMode;
  /** Which runtime runs: "auto" (a native binary when one can be had, else the embedded Bridge), "native", "embedded". */
  runtime?: Exclude<RuntimeChoice, "remote">;
  /** Agent files to run, relative to `projectDir` (as upstream runs them); all of agents/ (and main.py, run.py, app.py) by default. */
  agentScripts?: string[];
  /** Where the processes' logs go (default .loom/logs). */
  logsDir?: string;
  /** 0 picks a free port. */
  bridgePort?: number;
  dashboardPort?: number;
  /** Seconds a process gets between SIGTERM and SIGKILL when the project stops (default 5). */
  graceSec?: number;
  /** Aborting it stops the project cleanly. */
  signal?: AbortSignal;
  /** Whether SIGINT, SIGTERM and SIGHUP of this process stop the project (default true, as `loom run`). */
  handleSignals?: boolean;
  /** What `loom run` would print as loom's own lines: starts, restarts, readiness, warnings. */
  onEvent?: (event: OrchestratorEvent) => void;
  /** Each chunk a process writes (it is in its log file too). */
  onOutput?: (name: string, stream: Stream, chunk: Uint8Array) => void;
  /**
   * Called once the runtime answers and every agent started has registered with the Bridge (as
   * `loom run --wait-agents`; an agent that exits first is not waited for), with the addresses and
   * the registered agent ids; `waitForAgents: false` calls it as soon as the agents are started.
   */
  onReady?: (ready: { bridge: string; dashboard?: string; agents: string[]; registered?: string[] }) => void;
  /** Whether onReady waits for the agents to register (default true). */
  waitForAgents?: boolean;
  env?: Record<string, string | undefined>;
}

export interface OrchestratorResult {
  /** loom's exit code for how it ended: 0 stopped on request, 130 interrupted, 4 a runtime that failed. */
  exitCode: number;
  reason: "stopped" | "interrupted" | "failed";
}

/** The dashboard's URL when the run serves one. */
export function dashboardUrl({ project }: Prepared): string | undefined {
  const { bridge, dashboard } = project.config;
  return bridge.mode === "full" && dashboard.enabled ? `http://${dashboard.host}:${dashboard.port}` : undefined;
}

/** onReady, once the agents registered (launch/wait-agents.ts) unless told not to wait; a wait that fails is an event, and onReady still comes. */
async function ready(prepared: Prepared, config: OrchestratorConfig): Promise<void> {
  const base = { bridge: prepared.endpoints.bridge, dashboard: dashboardUrl(prepared), agents: prepared.agents.map((a) => a.name) };
  const ledger = config.waitForAgents === false ? undefined : readLedger(prepared.project.root);
  if (!ledger) return config.onReady?.(base);
  try {
    const waited = await waitForAgents(ledger, prepared.project.config.bridge.timeout_sec * 1000);
    if ("unknown" in waited) {
      config.onEvent?.({ level: "warn", message: `cannot know whether the agents registered: ${waited.unknown}` });
      return config.onReady?.(base);
    }
    if (waited.exited.length) config.onEvent?.({ level: "warn", message: `not waited for, they exited: ${waited.exited.join(", ")}` });
    config.onReady?.({ ...base, registered: waited.registered });
  } catch (e) {
    config.onEvent?.({ level: "warn", message: (e as Error).message });
    config.onReady?.(base);
  }
}

/** Runs the project until it is stopped (a signal, `config.signal`) or fails; rejects when it cannot start. */
export async function runOrchestrator(config: OrchestratorConfig): Promise<OrchestratorResult> {
  if (config.signal?.aborted) throw new LoomError("INTERRUPTED", "aborted before the project started");
  const projectDir = resolve(config.projectDir);
  const prepared = await prepare({
    projectDir,
    withAgents: true,
    agentPaths: config.agentScripts?.map((p) => (isAbsolute(p) ? p : resolve(projectDir, p))),
    mode: config.runtimeMode,
    runtime: config.runtime,
    bridgePort: config.bridgePort,
    dashboardPort: config.dashboardPort,
    logsDir: config.logsDir,
    env: config.env,
  });
  for (const message of prepared.warnings) config.onEvent?.({ level: "warn", message });
  const exitCode = await runSupervised(prepared, {
    printOutput: false,
    graceMs: config.graceSec === undefined ? undefined : config.graceSec * 1000,
    onEvent: (level, message) => config.onEvent?.({ level, message }),
    sink: config.onOutput,
    handleSignals: config.handleSignals,
    signal: config.signal,
    // The host program's own children are not the run's: only what carries its id is stopped.
    ownProcess: false,
    onStarted: () => void ready(prepared, config),
  });
  return { exitCode, reason: exitCode === EXIT.ok ? "stopped" : exitCode === EXIT.interrupted ? "interrupted" : "failed" };
}
