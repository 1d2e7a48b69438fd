/**
 * Everything before the first process starts, each check failing fast with its own message:
 * configuration, "is loom already running here", ports, the runtime binary, the plan.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "pathe";
import { EMBEDDED, type BinaryResult, getBinary } from "../binaries/get-binary";
import type { InstallHooks } from "../binaries/install";
import { binaryNameFor } from "../binaries/names";
import { loadProjectConfig } from "../config/load";
import type { BridgeMode, ProjectConfig, RuntimeChoice } from "../config/types";
import { LoomError } from "../errors";
import { runtimeUnavailable } from "../binaries/alarm";
import { privateDir } from "../files/private";
import { LOGS_DIR, STATE_DIR } from "../constants";
import { STOP_REQUEST_FILE, downProject } from "./down";
import { PRELOAD_FILE, writeAgentFiles } from "./agent-files";
import { type Interpreters, planAgents, planRuntime, pythonFor, type ProcessSpec, withProtectedFiles } from "./process-plan";
import { hostPort } from "../net/address";
import { bridgeSocket, type Endpoints, localEndpoints, withEndpoints, withOverrides } from "./endpoints";
import { lockHolder, tryLockProject, type ProjectLock } from "../state/project-lock";
import { bunRuntime } from "../proc/self";
import { describeRemote, remoteBridge } from "../config/remote";
import { inspectLedger } from "../state/ledger";

export interface UpOptions {
  /** `loom run --watch`: restart agents when their files change, reload loom.toml and .env. */
  watch?: boolean;
  projectDir: string;
  /** `loom run`: start agents too. */
  withAgents: boolean;
  agentPaths?: string[];
  bridgePort?: number;
  dashboardPort?: number;
  /** Overrides [bridge] mode and version. */
  mode?: BridgeMode;
  /** Overrides [bridge] runtime. */
  runtime?: RuntimeChoice;
  /** `loom run --bridge HOST:PORT`: agents against a Bridge that runs elsewhere (remote.ts). */
  remote?: string;
  runtimeVersion?: string;
  logsDir?: string;
  forceDownload?: boolean;
  preferDebug?: boolean;
  env?: Record<string, string | undefined>;
  hooks?: InstallHooks;
  /** A runtime binary already resolved (`loom dev` names its own). */
  binary?: Prepared["binary"];
}

export interface Prepared {
  /** The configuration with the endpoints in it (endpoints.ts), frozen. */
  project: ProjectConfig;
  endpoints: Endpoints;
  runtime: ProcessSpec;
  agents: ProcessSpec[];
  logsDir: string;
  warnings: string[];
  binary: BinaryResult;
  /** The project lock, held from here on (the supervisor releases it when all is stopped). */
  lock: ProjectLock;
}

/** How agents of `root` are run, and the Bridge address they get. */
function interpreters(root: string, env: Record<string, string | undefined>, socket?: string): Interpreters {
  return {
    python: pythonFor(root, env),
    bun: bunRuntime(),
    preload: join(root, STATE_DIR, PRELOAD_FILE),
    autoInstall: existsSync(join(root, "package.json")),
    ...(socket ? { bridgeAddress: `unix:${socket}`, otlpReceiver: `unix:${socket}` } : {}),
  };
}

/**
 * One loom per project: takes the project lock (state/project-lock.ts) or refuses, then cleans up after
 * a supervisor that died (its lock is gone with it, its ledger is left).
 */
async function lockProject(root: string, warnings: string[]): Promise<ProjectLock> {
  const lock = tryLockProject(root);
  if (!lock) {
    const holder = lockHolder(root);
    const ledger = inspectLedger(root).ledger;
    const since = ledger && ledger.supervisor.pid === holder ? `, started ${new Date(ledger.supervisor.startedAt).toLocaleString()}` : "";
    throw new LoomError("PROCESS", `loom is already running in ${root} (${holder ? `supervisor pid ${holder}${since}` : "another loom holds .loom/lock"})`, {
      hint: "`loom status` shows it; `loom down` stops it",
    });
  }
  rmSync(join(root, STATE_DIR, STOP_REQUEST_FILE), { force: true }); // meant for a loom that is gone
  const { ledger, problem } = inspectLedger(root);
  if (problem) warnings.push(`ignoring ${problem}; it will be replaced`);
  if (!ledger) return lock;
  const result = await downProject(root, { graceMs: 2_000 });
  const what = [...result.stopped, ...result.hunted];
  if (what.length) warnings.push(`a previous loom here (pid ${ledger.supervisor.pid}) had died; stopped what it left running: ${what.join(", ")}`);
  for (const u of result.untouched) warnings.push(`left alone ${u}: not a process loom can prove it started`);
  if (result.failed.length) {
    lock.release();
    throw new LoomError("PROCESS", `processes of a previous loom here could not be stopped: ${result.failed.join(", ")}`, { hint: "stop them by hand, then run again" });
  }
  return lock;
}

/** An agent whose program cannot be found cannot start at all: exit 4 before anything starts. */
function assertRunnable(spec: ProcessSpec): void {
  const program = spec.argv[0]!;
  const found = program.includes("/") ? existsSync(program) : Bun.which(program, { PATH: spec.env.PATH ?? "" }) !== null;
  if (found) return;
  const python = spec.argv[1]?.endsWith(".py");
  throw new LoomError("PROCESS", `cannot start agent ${spec.name}: ${program} was not found`, {
    hint: python
      ? "install Python 3, or point LOOM_PYTHON (or VIRTUAL_ENV, or a .venv in the project) at the interpreter"
      : `install ${program}, or fix the agent's command in loom.toml`,
  });
}

/**
 * `[bridge] runtime`: "native" is a runtime binary (path, local build, cache, download);
 * "embedded" is the Bridge inside loom (bridge/); "auto", the default, is native when one can be
 * had, else embedded, saying why in one line.
 */
async function chooseRuntime(o: UpOptions, project: ProjectConfig, env: Record<string, string | undefined>, warnings: string[]): Promise<BinaryResult> {
  const { config, root } = project;
  const choice = o.runtime ?? config.bridge.runtime ?? "auto";
  if (choice === "embedded") return EMBEDDED;
  try {
    return await getBinary({
      name: binaryNameFor(config.bridge.mode, config.bridge.binary),
      version: config.bridge.version,
      projectDir: root,
      forceDownload: o.forceDownload,
      preferDebug: o.preferDebug,
      env: { ...env },
      hooks: o.hooks,
      versionFlag: "--runtime-version",
    });
  } catch (error) {
    // A runtime that cannot be had falls back; one that fails its checksum is an alarm (exit 3, binaries/alarm.ts).
    if (choice === "native" || !runtimeUnavailable(error)) throw error;
    warnings.push(`no native runtime (${(error as Error).message}); using the embedded Bridge`);
    return EMBEDDED;
  }
}

export async function prepare(o: UpOptions): Promise<Prepared> {
  const env = o.env ?? process.env;
  const loaded = withOverrides(await loadProjectConfig(o.projectDir, { env }), o);
  const warnings = [...loaded.warnings];
  const { config, root } = loaded;
  const remote = remoteBridge(config, root, o.remote);
  if (remote && !o.withAgents)
    throw new LoomError("USAGE", `loom up starts a local runtime, and this project's Bridge is ${describeRemote(remote)}: there is nothing to start`, {
      hint: "`loom run` starts the agents against it; `loom ping` checks it",
    });
  const lock = await lockProject(root, warnings);
  const { logsDir } = logsAndPreload(root, o.logsDir);
  if (remote) {
    const endpoints: Endpoints = { bridge: remote.address, bridgePort: hostPort(remote.address).port, mode: config.bridge.mode, dashboardPort: config.dashboard.port, remote };
    const project = withEndpoints(loaded, endpoints);
    const binary: BinaryResult = { path: `${remote.address}${remote.tls ? " over TLS" : ""}`, source: "remote" };
    const agents = planAgents(project, interpreters(root, env), o.agentPaths, warnings);
    for (const a of agents) assertRunnable(a);
    if (agents.length === 0) warnings.push("no agents found (agents/*.py|ts|js|mjs, main.py, run.py, app.py); with a remote Bridge there is nothing else to run");
    return { project, endpoints, runtime: planRuntime(project, binary, remote), agents, logsDir, warnings, binary, lock };
  }
  const ports = await localEndpoints(loaded, o, warnings);
  const binary = o.binary ?? (await chooseRuntime(o, loaded, env, warnings));
  const endpoints: Endpoints = { ...ports, ...(binary.source === "embedded" ? { socket: bridgeSocket(root, warnings) } : {}) };
  const project = withEndpoints(loaded, endpoints);
  const agents = o.withAgents ? planAgents(project, interpreters(root, env, endpoints.socket), o.agentPaths, warnings) : [];
  const runtime = withProtectedFiles(planRuntime(project, binary, undefined, endpoints.socket), agents, root);
  for (const a of agents) assertRunnable(a);
  if (o.withAgents && agents.length === 0) warnings.push("no agents found (agents/*.py|ts|js|mjs, main.py, run.py, app.py); running the runtime only");
  return { project, endpoints, runtime, agents, logsDir, warnings, binary, lock };
}

/** The logs directory (private unless `--logs-dir` says where), and the agents' preload and SDK, current. */
function logsAndPreload(root: string, logsDirFlag: string | undefined): { logsDir: string; preload: string } {
  const logsDir = resolve(root, logsDirFlag ?? join(STATE_DIR, LOGS_DIR));
  if (logsDirFlag) mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  else privateDir(logsDir, "loom's logs directory");
  return { logsDir, preload: writeAgentFiles(root) };
}

/** `loom start PATH`: the agent a file would be, planned as `loom run PATH` plans it. */
export function agentPlanner(prepared: Prepared, env: Record<string, string | undefined>): (path: string) => ProcessSpec {
  const { project } = prepared;
  return (path) => {
    const specs = planAgents(project, interpreters(project.root, env, prepared.endpoints.socket), [path]);
    if (specs.length !== 1) throw new LoomError("USAGE", `${path} is not one agent`);
    assertRunnable(specs[0]!);
    return specs[0]!;
  };
}

/**
 * `--watch`: the processes planned again from loom.toml and .env as they are now, on the running
 * address and ports (a `--bridge-port 0` run keeps the port it got) and with the same runtime.
 */
export function replanner(
  prepared: Prepared,
  agentPaths: string[] | undefined,
  env: Record<string, string | undefined>,
): () => Promise<{ runtime: ProcessSpec; agents: ProcessSpec[]; warnings: string[] }> {
  const { endpoints } = prepared;
  return async () => {
    const loaded = await loadProjectConfig(prepared.project.root, { env });
    const project = withEndpoints(loaded, endpoints);
    // Said with the reload, so a typo's hint ("did you mean `mode`?") is not lost in "nothing changed".
    const warnings = [...loaded.warnings];
    const agents = planAgents(project, interpreters(project.root, env, endpoints.socket), agentPaths, warnings);
    const runtime = { ...withProtectedFiles(planRuntime(project, prepared.binary, endpoints.remote, endpoints.socket), agents, project.root), name: prepared.runtime.name };
    for (const a of agents) assertRunnable(a);
    return { runtime, agents, warnings };
  };
}
