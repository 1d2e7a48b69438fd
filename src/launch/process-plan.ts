/**
 * Planning, kept pure: the project's configuration in, the list of processes to start out
 * (argv, cwd, environment, restart policy). Nothing here starts anything, so `loom doctor` and
 * the tests can see exactly what would run.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { basename, extname, isAbsolute, join, relative, resolve } from "pathe";
import { deliveryOf, replicasOf } from "../config/replicas";
import { agentEnvVars, toEnvVars } from "../config/env/env-vars";
import { isTable } from "../config/schema";
import type { ProjectConfig } from "../config/types";
import { LoomError } from "../errors";
import { isExecutable } from "../binaries/probe";
import { type ProcessSpec, RESTART_MODES, type RestartMode } from "../proc/spec";
import type { RemoteBridge } from "../config/remote";
import { selfArgv } from "../proc/self";
import { isAgentFileName, MEMORY_DB, STATE_DIR, TRACES_DB } from "../constants";

export type { ProcessKind, ProcessSpec } from "../proc/spec";

export { AGENT_EXTENSIONS } from "../constants";
export const ENTRY_SCRIPTS = ["main.py", "run.py", "app.py"];

export function runtimeEnv(project: ProjectConfig): Record<string, string> {
  return toEnvVars(project.config, project.env);
}

/**
 * The runtime's process. `socket`: the embedded Bridge's Unix socket for the agents
 * (LOOM_BRIDGE_SOCKET, read only by the embedded Bridge).
 */
export function planRuntime(project: ProjectConfig, binary: { path: string; source: string }, remote?: RemoteBridge, socket?: string): ProcessSpec {
  if (remote) return { name: "bridge", kind: "runtime", argv: [], cwd: project.root, env: {}, restart: "never", remote };
  const env = {
    ...project.env,
    ...runtimeEnv(project),
    ...(socket ? { LOOM_BRIDGE_SOCKET: socket } : {}),
    // The embedded Bridge's trace history and memory store (telemetry/span-db.ts, memory-db.ts); a native runtime ignores them.
    LOOM_TRACES_DB: join(project.root, STATE_DIR, TRACES_DB),
    LOOM_MEMORY_DB: join(project.root, STATE_DIR, MEMORY_DB),
  };
  const spec: ProcessSpec = {
    name: project.config.bridge.mode === "full" ? "core" : "bridge",
    kind: "runtime",
    // The embedded Bridge is this very executable, supervised like any runtime (bridge/main.ts).
    argv: binary.source === "embedded" ? [...selfArgv(), "__bridge"] : [binary.path],
    cwd: project.root,
    env,
    restart: "always",
  };
  // A native runtime reads VLLM_* from its environment (its contract); the embedded Bridge takes
  // everything but a few plain settings over its standard input (docs/security.md).
  return binary.source === "embedded" ? { ...spec, ...splitPrivateEnv(env) } : spec;
}

/** Variables that are no secret: what a process needs to run, and loom's own settings (but the MCP servers', which carry keys). */
const PUBLIC_VAR =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_[A-Z_]+|TZ|TMPDIR|XDG_RUNTIME_DIR|TERM|NO_COLOR|FORCE_COLOR|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|BUN_[A-Z_]+|LOOM_(?!MCP_SERVERS$)[A-Z0-9_]+)$/;

/** `env` split into what stays in the environment and what goes over standard input (LOOM_PRIVATE_ENV). */
export function splitPrivateEnv(env: Record<string, string>): { env: Record<string, string>; privateEnv: Record<string, string> } {
  const open: Record<string, string> = { LOOM_PRIVATE_ENV: "stdin" };
  const privateEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) (PUBLIC_VAR.test(key) ? open : privateEnv)[key] = value;
  return { env: open, privateEnv };
}

/**
 * What the embedded Bridge's fs tools must never change beyond their fixed rules
 * (bridge/tools/protect.ts): each agent's file, a relative `command` program, and `watch` globs,
 * relative to the project (LOOM_FS_PROTECT).
 */
export function withProtectedFiles(runtime: ProcessSpec, agents: ProcessSpec[], root: string): ProcessSpec {
  if (runtime.remote) return runtime;
  const inside = (path: string) => {
    const rel = relative(root, resolve(root, path));
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? [rel] : [];
  };
  const files = agents.flatMap((a) => [...(a.source ? inside(a.source) : []), ...(a.argv[0]?.includes("/") ? inside(a.argv[0]) : []), ...(a.watch ?? [])]);
  return { ...runtime, env: { ...runtime.env, LOOM_FS_PROTECT: JSON.stringify([...new Set(files)].sort()) } };
}

/** `agents/*.py|ts|js|mjs`, then the first of main.py, run.py, app.py. */
export function discoverAgents(root: string): string[] {
  const found: string[] = [];
  const dir = join(root, "agents");
  if (existsSync(dir))
    for (const f of readdirSync(dir).sort()) {
      if (!isAgentFileName(f)) continue;
      const st = statSync(join(dir, f), { throwIfNoEntry: false });
      if (!st) throw new LoomError("CONFIG", `agents/${f} is a symbolic link to nothing (${readlinkSync(join(dir, f))})`, { hint: `fix or remove the link: rm ${join(dir, f)}` });
      if (st.isFile()) found.push(join(dir, f));
    }
  const entry = ENTRY_SCRIPTS.map((f) => join(root, f)).find((p) => existsSync(p));
  if (entry) found.push(entry);
  return found;
}

export interface Interpreters {
  /** The Python to run .py agents with. */
  python: string;
  /** What runs .ts/.js agents: the loom executable itself (or bun in development). */
  bun: string;
  /** The agents' preload file (agent-files.ts). */
  preload: string;
  /** Whether Bun may install a missing package at run time: only when the project has its own package.json. */
  autoInstall?: boolean;
  /** The address agents get in LOOM_BRIDGE_ADDR when not [bridge] address: the embedded Bridge's `unix:` socket. */
  bridgeAddress?: string;
  /** Where the agents' OpenTelemetry exporters send (OTLP/gRPC): the embedded Bridge's receiver, on the same socket. */
  otlpReceiver?: string;
}

/**
 * The OTEL_* variables that point an agent's exporter at loom's receiver (telemetry/otlp-receive.ts),
 * as Aspire points its resources at its dashboard; a collector of the user's gets everything from
 * the Bridge. OpenTelemetry's Python exporter reads `unix:` targets, insecure only when told.
 */
function otlpVars(receiver: string | undefined, env: Record<string, string | undefined>): Record<string, string> {
  if (!receiver) return {};
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver,
    OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
    OTEL_EXPORTER_OTLP_INSECURE: "true",
    ...(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" } : {}),
  };
}

/** LOOM_PYTHON, else $VIRTUAL_ENV's python, else the project's .venv, else python3. */
export function pythonFor(root: string, env: Record<string, string | undefined>): string {
  if (env.LOOM_PYTHON) return env.LOOM_PYTHON;
  const bin = process.platform === "win32" ? ["Scripts", "python.exe"] : ["bin", "python"];
  if (env.VIRTUAL_ENV) return join(env.VIRTUAL_ENV, ...bin);
  const venv = join(root, ".venv", ...bin);
  return existsSync(venv) ? venv : "python3";
}

function commandFor(script: string, tools: Interpreters): { argv: string[]; env: Record<string, string> } {
  const ext = extname(script);
  if (ext === ".py") return { argv: [tools.python, script], env: { PYTHONUNBUFFERED: "1" } };
  if (ext === ".ts" || ext === ".js" || ext === ".mjs")
    return { argv: [tools.bun, "run", "--preload", tools.preload, ...(tools.autoInstall ? [] : ["--no-install"]), script], env: { BUN_BE_BUN: "1" } };
  if (isExecutable(script)) return { argv: [script], env: {} };
  throw new LoomError("USAGE", `do not know how to run ${script}`, { hint: "agents are .py, .ts, .js or .mjs files, or executables (chmod +x)" });
}

const key = (name: string) => name.replace(/_/g, "-");

/** Names loom itself uses: the runtime's (core, bridge), loom's own log and prefix. */
export const RESERVED_NAMES = ["core", "bridge", "supervisor", "loom", "watchdog"];
/** A process name becomes a file name in the logs directory: nothing that could leave it. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkName(name: string, given: string): void {
  const from = /[\x00-\x1f\x7f]/.test(given) ? JSON.stringify(given) : given; // a file name may hold a newline
  if (RESERVED_NAMES.includes(name.toLowerCase()))
    throw new LoomError("CONFIG", `an agent cannot be named "${name}" (${from}): loom uses that name itself`, {
      hint: `rename it; ${RESERVED_NAMES.map((n) => `"${n}"`).join(", ")} are taken by the runtime and by loom`,
    });
  if (!SAFE_NAME.test(name))
    throw new LoomError("CONFIG", `an agent cannot be named ${JSON.stringify(name)} (${from}): names become log file names`, {
      hint: "use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit",
    });
}

function settingsFor(project: ProjectConfig, name: string): Record<string, unknown> {
  const agents = project.config.agents;
  const match = Object.keys(agents).find((k) => key(k) === key(name));
  const value = match ? agents[match] : undefined;
  return isTable(value) ? value : {};
}

function restartOf(name: string, settings: Record<string, unknown>): RestartMode {
  const r = settings.restart ?? "on-failure";
  if (typeof r === "string" && (RESTART_MODES as readonly string[]).includes(r)) return r as RestartMode;
  throw new LoomError("CONFIG", `\`agents.${name}.restart\` must be one of ${RESTART_MODES.map((m) => `"${m}"`).join(", ")}, not ${JSON.stringify(r)}`, {
    hint: "fix it in loom.toml",
  });
}

function stringEnv(name: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isTable(value)) throw new LoomError("CONFIG", `\`agents.${name}.env\` must be a table`, { hint: '[agents.NAME.env] KEY = "value"' });
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** `agent_id="data-agent"` (Python) or `agentId: "data-agent"` (TypeScript), as the SDKs are called. */
const AGENT_ID = /\bagent_?id\s*[=:]\s*["']([A-Za-z0-9][A-Za-z0-9._-]*)["']/gi;

/**
 * The agent id a script declares, read as text (never run): upstream agents write their id in
 * their code (`agents/data.py` registers as `data-agent`). Only a single, unambiguous id counts.
 */
export function declaredAgentId(script: string): string | undefined {
  let text: string;
  try {
    const st = statSync(script);
    if (!st.isFile() || st.size > 1024 * 1024) return undefined;
    text = readFileSync(script, "utf8");
  } catch {
    return undefined;
  }
  const ids = new Set([...text.matchAll(AGENT_ID)].map((m) => m[1]!));
  return ids.size === 1 ? [...ids][0] : undefined;
}

/** Keys of an `[agents.<id>]` table that loom itself reads; every other key is the agent's. */
export const RUN_SETTINGS = ["script", "command", "env", "restart", "enabled", "watch", "replicas", "delivery", "resources"];

function watchOf(name: string, settings: Record<string, unknown>): string[] | undefined {
  const w = settings.watch;
  if (w === undefined) return undefined;
  if (!Array.isArray(w) || w.some((g) => typeof g !== "string"))
    throw new LoomError("CONFIG", `\`agents.${name}.watch\` must be an array of globs, like ["prompts/**", "lib/*.py"]`, { hint: "fix it in loom.toml" });
  return w as string[];
}

/**
 * The agents to run: `paths` when given, else the discovered scripts, plus every `[agents.<id>]`
 * that says itself how to run (`script` or `command`). A table with `script` binds that file to the
 * id, as upstream apps key an agent's settings by its agent id (`agents/data.py` registers as
 * `data-agent` and reads `[agents.data-agent]`): the file runs once, named `<id>`. Without
 * `script`, a file that declares the id of an existing table in its code is bound the same way.
 * A table with run settings that matches no agent gets a warning in `warnings`.
 */
export function planAgents(project: ProjectConfig, tools: Interpreters, paths?: string[], warnings: string[] = []): ProcessSpec[] {
  const root = project.root;
  const scripts = paths?.length ? paths.map((p) => (isAbsolute(p) ? p : resolve(process.cwd(), p))) : discoverAgents(root);
  for (const s of scripts)
    if (!existsSync(s)) throw new LoomError("USAGE", `agent script ${s} does not exist`, { hint: "give paths of existing .py, .ts or .js files, or none to run agents/*" });

  const specs: ProcessSpec[] = [];
  const taken = new Set<string>();
  const add = (name: string, from: string, argv: string[], extraEnv: Record<string, string>, settings: Record<string, unknown>, source?: string) => {
    checkName(name, from);
    let unique = name;
    for (let i = 2; taken.has(unique); i++) unique = `${name}-${i}`;
    taken.add(unique);
    deliveryOf(name, settings); // checked here, used by the Bridge (config/replicas.ts)
    // LOOM_SINGLE_REPLICA=1: this is one replica, the platform runs the others (a Deployment's pods).
    const replicas = project.env.LOOM_SINGLE_REPLICA === "1" ? 1 : replicasOf(name, settings);
    // Replica i of `name` runs as `name.i`, under the same agent id (the code's).
    for (let i = 1; i <= replicas; i++) {
      const processName = i === 1 ? unique : `${unique}.${i}`;
      taken.add(processName);
      specs.push({
        name: processName,
        kind: "agent",
        argv,
        cwd: root,
        env: {
          ...project.env,
          ...agentEnvVars(project.config, project.env, processName),
          ...(tools.bridgeAddress ? { LOOM_BRIDGE_ADDR: tools.bridgeAddress } : {}),
          ...otlpVars(tools.otlpReceiver, project.env),
          ...(replicas > 1 ? { LOOM_AGENT_REPLICA: String(i) } : {}),
          ...extraEnv,
          ...stringEnv(name, settings.env),
        },
        restart: restartOf(name, settings),
        ...(source ? { source } : {}),
        ...(settings.watch !== undefined ? { watch: watchOf(name, settings) } : {}),
      });
    }
  };

  // Tables that say how to run (script or command), and the files a `script` binds to its id.
  const configured = new Set<string>();
  const bound = new Set<string>();
  for (const [name, raw] of Object.entries(project.config.agents)) {
    if (!isTable(raw)) continue;
    if (raw.script !== undefined) bound.add(resolve(root, String(raw.script)));
    if (raw.script !== undefined || raw.command !== undefined) configured.add(key(name));
  }
  if (!paths?.length)
    for (const [name, raw] of Object.entries(project.config.agents)) {
      if (!isTable(raw) || !configured.has(key(name)) || raw.enabled === false) continue;
      if (raw.command !== undefined) {
        if (!Array.isArray(raw.command) || raw.command.length === 0 || raw.command.some((c) => typeof c !== "string"))
          throw new LoomError("CONFIG", `\`agents.${name}.command\` must be a non-empty array of strings`, { hint: 'command = ["python", "-m", "my_agent"]' });
        add(name, `[agents.${name}]`, raw.command as string[], {}, raw);
      } else {
        const script = resolve(root, String(raw.script));
        if (!existsSync(script))
          throw new LoomError("CONFIG", `\`agents.${name}.script\` is ${relative(root, script)}, which does not exist`, { hint: "fix the path (relative to loom.toml)" });
        const cmd = commandFor(script, tools);
        add(name, `[agents.${name}]`, cmd.argv, cmd.env, raw, script);
      }
    }

  const discovered: string[] = []; // "name (path)" of every agent file, for the warning below
  const matched = new Set(configured);
  for (const script of scripts) {
    const file = basename(script);
    const fileName = ENTRY_SCRIPTS.includes(file) && !script.includes(`${join(root, "agents")}/`) ? basename(root) : file.slice(0, file.length - extname(file).length);
    if (!paths?.length && bound.has(script)) continue; // it runs under the id of the table that binds it
    // The id it declares in its code, when a table of that id exists (and says nothing of how to run).
    const id = declaredAgentId(script);
    const tableOfId = id !== undefined && Object.keys(project.config.agents).some((t) => key(t) === key(id)) && !configured.has(key(id));
    const name = tableOfId ? id! : fileName;
    discovered.push(`${name} (${relative(root, script) || script})`);
    matched.add(key(name));
    if (!paths?.length && configured.has(key(name))) continue; // its [agents.<name>] already says how to run it
    const settings = settingsFor(project, name);
    if (settings.enabled === false) continue;
    const cmd = commandFor(script, tools);
    add(name, relative(root, script) || script, cmd.argv, cmd.env, settings, script);
  }

  for (const [name, raw] of Object.entries(project.config.agents)) {
    const run = isTable(raw) ? RUN_SETTINGS.filter((k) => k in raw) : [];
    if (run.length === 0 || matched.has(key(name))) continue;
    const known = [...specs.filter((s) => !discovered.some((d) => d.startsWith(`${s.name} (`))).map((s) => s.name), ...discovered];
    warnings.push(
      `[agents.${name}] sets ${run.join(", ")}, but no agent is named "${name}" (agents: ${known.join(", ") || "none"}); bind it to its file with script = "agents/<file>"`,
    );
  }
  return specs;
}
