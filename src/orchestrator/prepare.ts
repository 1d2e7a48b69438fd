/**
 * Everything before the first process starts, each check failing fast with its own message:
 * configuration, "is loom already running here", ports, the runtime binary, the plan.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "pathe";
import { getBinary } from "../binaries/get-binary";
import type { InstallHooks } from "../binaries/install";
import { binaryNameFor } from "../binaries/names";
import { loadProjectConfig } from "../config/load";
import type { BridgeMode, ProjectConfig } from "../config/types";
import { LoomError } from "../errors";
import { LOGS_DIR, STATE_DIR } from "./constants";
import { downProject } from "./down";
import { isSameProcess } from "./identity";
import { PRELOAD_SOURCE, planAgents, planRuntime, pythonFor, runtimeEnv, type ProcessSpec } from "./plan";
import { freePort, joinAddress, portHolder, splitAddress, tryListen } from "./ports";
import { bunRuntime } from "./self";
import { readLedger } from "./state";

export interface UpOptions {
  projectDir: string;
  /** `loom run`: start agents too. */
  withAgents: boolean;
  agentPaths?: string[];
  bridgePort?: number;
  dashboardPort?: number;
  /** Overrides [bridge] mode and version. */
  mode?: BridgeMode;
  runtimeVersion?: string;
  logsDir?: string;
  forceDownload?: boolean;
  preferDebug?: boolean;
  env?: Record<string, string | undefined>;
  hooks?: InstallHooks;
  /** The ports were already checked (by the parent of a detached supervisor). */
  portsChecked?: boolean;
  /** A runtime binary already resolved and verified (by the parent of a detached supervisor). */
  binary?: Prepared["binary"];
}

export interface Prepared {
  project: ProjectConfig;
  runtime: ProcessSpec;
  agents: ProcessSpec[];
  logsDir: string;
  warnings: string[];
  binary: { path: string; source: string; version?: string };
}

async function assertPortFree(what: string, host: string, port: number, fix: string): Promise<void> {
  try {
    await tryListen(host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const holder = code === "EADDRINUSE" ? portHolder(port) : undefined;
    throw new LoomError("PROCESS", `${what} port ${port} on ${host} is ${code === "EADDRINUSE" ? "already in use" : `not available (${code})`}${holder ? ` by ${holder}` : ""}`, {
      hint: `stop that process, or ${fix}`,
    });
  }
}

/** Refuses when loom already runs here; cleans up after a supervisor that died. */
async function assertNotRunning(root: string, warnings: string[]): Promise<void> {
  const ledger = readLedger(root);
  if (!ledger) return;
  if (isSameProcess(ledger.supervisor))
    throw new LoomError("PROCESS", `loom is already running in ${root} (supervisor pid ${ledger.supervisor.pid}, started ${new Date(ledger.supervisor.startedAt).toLocaleString()})`, {
      hint: "`loom status` shows it; `loom down` stops it",
    });
  const result = await downProject(root, { graceMs: 2_000 });
  if (result.stopped.length) warnings.push(`a previous loom here (pid ${ledger.supervisor.pid}) had died; stopped what it left running: ${result.stopped.join(", ")}`);
  if (result.failed.length) throw new LoomError("PROCESS", `processes of a previous loom here could not be stopped: ${result.failed.join(", ")}`, { hint: "stop them by hand, then run again" });
}

export async function prepare(o: UpOptions): Promise<Prepared> {
  const env = o.env ?? process.env;
  const project = await loadProjectConfig(o.projectDir, { env });
  const warnings = [...project.warnings];
  const { config, root } = project;
  if (o.mode) config.bridge.mode = o.mode;
  if (o.runtimeVersion) config.bridge.version = o.runtimeVersion;
  await assertNotRunning(root, warnings);

  const bridge = splitAddress(config.bridge.address);
  if (o.bridgePort !== undefined) bridge.port = o.bridgePort === 0 ? await freePort(bridge.host) : o.bridgePort;
  if (!o.portsChecked && o.bridgePort !== 0)
    await assertPortFree("the bridge", bridge.host, bridge.port, "pick another with --bridge-port N ([bridge] address in loom.toml), or --bridge-port 0 for a free one");
  config.bridge.address = joinAddress(bridge.host, bridge.port);
  const dashboardOn = config.bridge.mode === "full" && config.dashboard.enabled;
  if (o.dashboardPort !== undefined) config.dashboard.port = o.dashboardPort === 0 ? await freePort(config.dashboard.host) : o.dashboardPort;
  if (dashboardOn && !o.portsChecked && o.dashboardPort !== 0)
    await assertPortFree("the dashboard", config.dashboard.host, config.dashboard.port, "pick another with --dashboard-port N ([dashboard] port), or --dashboard-port 0");

  const binary = o.binary ?? await getBinary({
    name: binaryNameFor(config.bridge.mode, config.bridge.binary),
    version: config.bridge.version,
    projectDir: root,
    forceDownload: o.forceDownload,
    preferDebug: o.preferDebug,
    env: { ...env },
    hooks: o.hooks,
  });

  const logsDir = resolve(root, o.logsDir ?? join(STATE_DIR, LOGS_DIR));
  mkdirSync(logsDir, { recursive: true });
  const preload = join(root, STATE_DIR, "agent-preload.mjs");
  if (!existsSync(preload) || readFileSync(preload, "utf8") !== PRELOAD_SOURCE) writeFileSync(preload, PRELOAD_SOURCE);
  const runtime = planRuntime(project, binary.path);
  const agents = o.withAgents ? planAgents(project, runtimeEnv(project), { python: pythonFor(root, env), bun: bunRuntime(), preload }, o.agentPaths) : [];
  if (o.withAgents && agents.length === 0) warnings.push("no agents found (agents/*.py|ts|js|mjs, main.py, run.py, app.py); running the runtime only");
  return { project, runtime, agents, logsDir, warnings, binary };
}
