/**
 * Everything before the first process starts, each check failing fast with its own message:
 * configuration, "is loom already running here", ports, the runtime binary, the plan.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "pathe";
import { EMBEDDED, type BinaryResult, getBinary } from "../binaries/get-binary";
import type { InstallHooks } from "../binaries/install";
import { binaryNameFor } from "../binaries/names";
import { loadProjectConfig } from "../config/load";
import type { BridgeMode, ProjectConfig, RuntimeChoice } from "../config/types";
import { LoomError } from "../errors";
import { runtimeUnavailable } from "../binaries/alarm";
import { privateDir, writePrivateFile } from "../files/private";
import { socketPath } from "../files/socket-path";
import { isLoopback } from "../system/peer";
import { BRIDGE_SOCKET, LOGS_DIR, STATE_DIR } from "../constants";
import { STOP_REQUEST_FILE, downProject } from "./down";
import { type Interpreters, PRELOAD_SOURCE, planAgents, planRuntime, pythonFor, type ProcessSpec, withProtectedFiles } from "./plan";
import { hostPort, joinHostPort } from "../net/address";
import { freePort, ipAddress, portHolder, tryListen } from "../net/ports";
import { lockHolder, tryLockProject, type ProjectLock } from "../state/lock";
import { bunRuntime } from "../proc/self";
import { describeRemote, type RemoteBridge, remoteBridge } from "../config/remote";
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
  binary: BinaryResult;
  /** The project lock, held from here on (the supervisor releases it when all is stopped). */
  lock: ProjectLock;
  /** Agents against a Bridge elsewhere: no local runtime. */
  remote?: RemoteBridge;
  /** The embedded Bridge's Unix socket, which the agents are given (bridge/listen.ts). */
  socket?: string;
}

/** How agents of `root` are run, and the Bridge address they get. */
function interpreters(root: string, env: Record<string, string | undefined>, socket?: string): Interpreters {
  return { python: pythonFor(root, env), bun: bunRuntime(), preload: join(root, STATE_DIR, "agent-preload.mjs"), ...(socket ? { bridgeAddress: `unix:${socket}` } : {}) };
}

/**
 * A Bridge or dashboard on a non-loopback address is reachable by anyone who reaches the host: it
 * needs `[bridge] expose = true` (docs/security.md), and then gets a warning naming the risk.
 */
function assertLoopback(config: ProjectConfig["config"], dashboardOn: boolean, warnings: string[]): void {
  const exposed: string[] = [];
  const bridgeHost = hostPort(config.bridge.address).host;
  if (!isLoopback(bridgeHost)) exposed.push(`the Bridge (${config.bridge.address})`);
  if (dashboardOn && !isLoopback(config.dashboard.host) && config.dashboard.host !== "localhost") exposed.push(`the dashboard (${config.dashboard.host}:${config.dashboard.port})`);
  if (exposed.length === 0) return;
  const risk = "anyone who can reach this machine could call the Bridge's tools (read and write the project's files, run the allowed commands) and read every event, without TLS";
  if (!config.bridge.expose)
    throw new LoomError("CONFIG", `${exposed.join(" and ")} would listen on a non-loopback address: ${risk}`, {
      hint: 'listen on 127.0.0.1 ([bridge] address = "127.0.0.1:50051", [dashboard] host = "127.0.0.1"), or set `expose = true` under [bridge] if that is what you want (then keep the ports behind a firewall)',
    });
  warnings.push(`${exposed.join(" and ")} listen on a non-loopback address ([bridge] expose = true): ${risk}; other local users are still refused by the embedded Bridge`);
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

/**
 * One loom per project: takes the project lock (project-lock.ts) or refuses, then cleans up after
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
  const project = await loadProjectConfig(o.projectDir, { env });
  const warnings = [...project.warnings];
  const { config, root } = project;
  if (o.mode) config.bridge.mode = o.mode;
  if (o.runtimeVersion) config.bridge.version = o.runtimeVersion;
  if (o.runtime) config.bridge.runtime = o.runtime;
  const remote = remoteBridge(config, root, o.remote);
  if (remote && !o.withAgents)
    throw new LoomError("USAGE", `loom up starts a local runtime, and this project's Bridge is ${describeRemote(remote)}: there is nothing to start`, {
      hint: "`loom run` starts the agents against it; `loom ping` checks it",
    });
  const lock = await lockProject(root, warnings);
  if (remote) return prepareRemote(o, project, remote, lock, warnings, env);

  const bridge = hostPort(config.bridge.address, "[bridge] address");
  if (o.bridgePort !== undefined) bridge.port = o.bridgePort === 0 ? await freePort(bridge.host) : o.bridgePort;
  if (!o.portsChecked && o.bridgePort !== 0)
    await assertPortFree("the bridge", bridge.host, bridge.port, "pick another with --bridge-port N ([bridge] address in loom.toml), or --bridge-port 0 for a free one");
  config.bridge.address = await ipAddress(joinHostPort(bridge.host, bridge.port));
  const dashboardOn = config.bridge.mode === "full" && config.dashboard.enabled;
  assertLoopback(config, dashboardOn, warnings);
  if (o.dashboardPort !== undefined) config.dashboard.port = o.dashboardPort === 0 ? await freePort(config.dashboard.host) : o.dashboardPort;
  if (dashboardOn && !o.portsChecked && o.dashboardPort !== 0)
    await assertPortFree("the dashboard", config.dashboard.host, config.dashboard.port, "pick another with --dashboard-port N ([dashboard] port), or --dashboard-port 0");

  const binary = o.binary ?? (await chooseRuntime(o, project, env, warnings));

  const { logsDir } = logsAndPreload(root, o.logsDir);
  const socket = binary.source === "embedded" ? bridgeSocket(root, warnings) : undefined;
  const agents = o.withAgents ? planAgents(project, interpreters(root, env, socket), o.agentPaths, warnings) : [];
  const runtime = withProtectedFiles(planRuntime(project, binary, undefined, socket), agents, root);
  for (const a of agents) assertRunnable(a);
  if (o.withAgents && agents.length === 0) warnings.push("no agents found (agents/*.py|ts|js|mjs, main.py, run.py, app.py); running the runtime only");
  return { project, runtime, agents, logsDir, warnings, binary, lock, socket };
}

/** The embedded Bridge's agent socket (files/socket-path.ts); none when no private path is short enough. */
function bridgeSocket(root: string, warnings: string[]): string | undefined {
  const path = socketPath(root, STATE_DIR, BRIDGE_SOCKET, { create: true });
  if (!path)
    warnings.push("the agents reach the Bridge over loopback TCP: no private directory gives a Unix socket path short enough (set XDG_RUNTIME_DIR or TMPDIR to a short directory)");
  return path;
}

/** The logs directory (private unless `--logs-dir` says where), and the agents' preload file, current. */
function logsAndPreload(root: string, logsDirFlag: string | undefined): { logsDir: string; preload: string } {
  const logsDir = resolve(root, logsDirFlag ?? join(STATE_DIR, LOGS_DIR));
  if (logsDirFlag) mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  else privateDir(logsDir, "loom's logs directory");
  const preload = join(root, STATE_DIR, "agent-preload.mjs");
  const current = lstatSync(preload, { throwIfNoEntry: false });
  if (!current?.isFile() || (current.mode & 0o777) !== 0o600 || readFileSync(preload, "utf8") !== PRELOAD_SOURCE) writePrivateFile(preload, PRELOAD_SOURCE);
  return { logsDir, preload };
}

/** Agents only, against a Bridge elsewhere: no ports to check, no runtime to fetch or start. */
function prepareRemote(o: UpOptions, project: ProjectConfig, remote: RemoteBridge, lock: ProjectLock, warnings: string[], env: Record<string, string | undefined>): Prepared {
  const { config, root } = project;
  config.bridge.address = remote.address;
  config.dashboard.enabled = false;
  const { logsDir } = logsAndPreload(root, o.logsDir);
  const binary: BinaryResult = { path: `${remote.address}${remote.tls ? " over TLS" : ""}`, source: "remote" };
  const agents = planAgents(project, interpreters(root, env), o.agentPaths, warnings);
  for (const a of agents) assertRunnable(a);
  if (agents.length === 0) warnings.push("no agents found (agents/*.py|ts|js|mjs, main.py, run.py, app.py); with a remote Bridge there is nothing else to run");
  return { project, runtime: planRuntime(project, binary, remote), agents, logsDir, warnings, binary, lock, remote };
}

/** `loom start PATH`: the agent a file would be, planned as `loom run PATH` plans it. */
export function agentPlanner(prepared: Prepared, env: Record<string, string | undefined>): (path: string) => ProcessSpec {
  const { project } = prepared;
  return (path) => {
    const specs = planAgents(project, interpreters(project.root, env, prepared.socket), [path]);
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
): () => Promise<{ runtime: ProcessSpec; agents: ProcessSpec[] }> {
  const running = prepared.project.config;
  return async () => {
    const project = await loadProjectConfig(prepared.project.root, { env });
    const { config } = project;
    config.bridge.address = running.bridge.address;
    config.bridge.mode = running.bridge.mode;
    config.dashboard.host = running.dashboard.host;
    config.dashboard.port = running.dashboard.port;
    const agents = planAgents(project, interpreters(project.root, env, prepared.socket), agentPaths);
    const runtime = { ...withProtectedFiles(planRuntime(project, prepared.binary, prepared.remote, prepared.socket), agents, project.root), name: prepared.runtime.name };
    for (const a of agents) assertRunnable(a);
    return { runtime, agents };
  };
}
