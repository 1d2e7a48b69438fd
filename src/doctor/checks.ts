import { join, relative } from "pathe";
import { describeBinary, findBinary } from "../binaries/get-binary";
import { defaultHttpDeps } from "../binaries/release/http";
import { candidateAssets } from "../binaries/install";
import { binaryNameFor } from "../binaries/names";
import { platformTag } from "../binaries/platform";
import { locateAsset } from "../binaries/release/assets";
import { loadProjectConfig } from "../config/load";
import type { ProjectConfig } from "../config/types";
import { isLoomError } from "../errors";
import { STATE_DIR } from "../constants";
import { planAgents, pythonFor } from "../launch/process-plan";
import { hostPort } from "../net/address";
import { portHolder, tryListen } from "../net/ports";
import { lockHolder } from "../state/project-lock";
import { bunRuntime, isCompiled } from "../proc/self";
import { SDK_INSTALL } from "../config/sdk-compat";
import { sandboxCheck } from "./sandbox";
import { shadowWarning } from "./shadow";
import { compileChecks } from "./compile";
import { BRIDGE_DEFAULTS, DASHBOARD_DEFAULTS } from "../config/defaults";
import { isBeneath, realInterpreter } from "./interpreter";

export type Verdict = "ok" | "warn" | "fail";

export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

const BUILD_COMMAND = "cargo build --release -p loom-bridge --bin loom-bridge-server";

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function runtimeCheck(project: ProjectConfig, env: Record<string, string | undefined>): Promise<Check> {
  const { config } = project;
  const name = binaryNameFor(config.bridge.mode, config.bridge.binary);
  const choice = config.bridge.runtime ?? "auto";
  if (choice === "embedded") return { name: "runtime", verdict: "ok", detail: 'the embedded Bridge ([bridge] runtime = "embedded"): nothing to download' };
  if (choice === "remote") {
    const { remoteBridge, describeRemote } = await import("../config/remote");
    const { grpcHeartbeat } = await import("../net/health");
    const remote = remoteBridge(config, project.root)!;
    const probe = await grpcHeartbeat(remote.address, 2_000, remote.tls ? { ca: remote.ca } : undefined);
    return probe.ok
      ? { name: "runtime", verdict: "ok", detail: `${describeRemote(remote)}: its Heartbeat answers` }
      : { name: "runtime", verdict: "fail", detail: `${describeRemote(remote)}: ${probe.detail}`, fix: "start it there, or fix [bridge] address (and tls / ca_file)" };
  }
  const check = await nativeCheck(project, env, name);
  if (check.verdict === "fail" && choice === "auto")
    return {
      name: "runtime",
      verdict: "ok",
      detail: `no native runtime (${check.detail}); \`loom run\` will use the embedded Bridge`,
      fix: check.fix ? `for the native one: ${check.fix}` : undefined,
    };
  return check;
}

async function nativeCheck(project: ProjectConfig, env: Record<string, string | undefined>, name: string): Promise<Check> {
  const { config, root } = project;
  try {
    const found = await findBinary({ name, version: config.bridge.version, projectDir: root, env });
    if (found.source !== "download-needed") return { name: "runtime", verdict: "ok", detail: describeBinary(found, root) };
    if (env.LOOM_OFFLINE === "1")
      return {
        name: "runtime",
        verdict: "fail",
        detail: `nothing built, nothing cached for v${found.version}, and LOOM_OFFLINE=1`,
        fix: `build it (\`${BUILD_COMMAND}\` in a loom checkout), or \`loom install\` with network access`,
      };
    const tag = platformTag();
    const located = await locateAsset(found.version, candidateAssets(name, found.version, tag), defaultHttpDeps(env));
    if (located.asset && located.sha256)
      return { name: "runtime", verdict: "ok", detail: `not here yet: \`loom run\` will download ${located.asset} (v${found.version}, checksum published)` };
    return {
      name: "runtime",
      verdict: "fail",
      detail: `nothing built (target/release, target/debug${env.CARGO_TARGET_DIR ? ", CARGO_TARGET_DIR" : ""}), nothing cached, and release v${found.version} has no ${located.asset ? "checksum for" : "asset for"} ${tag}${located.listed.length ? ` (it has: ${located.listed.join(", ")})` : ""}`,
      fix: `build it: \`${BUILD_COMMAND}\` in a loom checkout (loom finds target/release from the project upward, or set CARGO_TARGET_DIR / LOOM_BRIDGE_PATH)`,
    };
  } catch (error) {
    return { name: "runtime", verdict: "fail", detail: messageOf(error), fix: isLoomError(error) ? error.hint : undefined };
  }
}

/**
 * Runs `python` once: its version, and whether the Loom SDK and grpc import there. Inspecting
 * never runs the project (docs/security.md): an interpreter that is the project's own file (a
 * `.venv/bin/python` that is a script or a copy) is not run, and the one that is runs isolated
 * (`-I`: neither the working directory nor PYTHON* variables reach its import path) from `/`, so
 * a `loom.py` of a cloned repository is not what `import loom` finds.
 */
function pythonCheck(python: string, agents: string[], root: string): Check {
  const script =
    "import sys\nprint(sys.version.split()[0])\nfor m in ('loom', 'grpc'):\n    try:\n        __import__(m); print('ok')\n    except Exception as e:\n        print(type(e).__name__ + ': ' + str(e))\n";
  const who = `for ${agents.join(", ")}`;
  const real = realInterpreter(python);
  if (real && isBeneath(real, root))
    return {
      name: "python",
      verdict: "warn",
      detail: `${python} ${who} is a file of the project (${relative(root, real)}): loom doctor does not run the project's files`,
      fix: `check it yourself: \`${python} -I -c "import loom, grpc"\`; \`python3 -m venv .venv\` makes one that links to the system's interpreter`,
    };
  const r = (() => {
    try {
      return Bun.spawnSync([python, "-I", "-c", script], { cwd: "/", stdout: "pipe", stderr: "pipe", timeout: 20_000 });
    } catch (error) {
      return { exitCode: 127, stdout: Buffer.from(""), stderr: Buffer.from(messageOf(error)) };
    }
  })();
  if (r.exitCode !== 0)
    return {
      name: "python",
      verdict: "fail",
      detail: `${python} ${who} does not run (${r.stderr.toString().trim().split("\n").pop() || `exit ${r.exitCode}`})`,
      fix: "install Python 3.9+, or point LOOM_PYTHON (or VIRTUAL_ENV, or a .venv in the project) at it",
    };
  const [version, loom, grpc] = r.stdout.toString().trim().split("\n");
  const missing = [loom !== "ok" ? `loom (${loom})` : "", grpc !== "ok" ? `grpc (${grpc})` : ""].filter(Boolean);
  if (missing.length)
    return {
      name: "python",
      verdict: "fail",
      detail: `${python} ${version} ${who}: cannot import ${missing.join(" and ")}`,
      fix: `\`${SDK_INSTALL.replace("python3", python)}\` (the Loom Python SDK; it brings grpcio), or use the virtualenv that has it`,
    };
  return { name: "python", verdict: "ok", detail: `${python} ${version} ${who}: loom and grpc import` };
}

/** Where `python` really is (links resolved, PATH searched), or undefined when it cannot be found. */
/** `byDefault`: the port is loom's default, which `loom run` moves to the next free one when it is taken (launch/endpoints.ts). */
async function portCheck(what: string, host: string, port: number, byDefault: boolean): Promise<Check> {
  if (port === 0) return { name: `${what} port`, verdict: "ok", detail: "0: a free one is picked" };
  try {
    await tryListen(host, port);
    return { name: `${what} port`, verdict: "ok", detail: `${host}:${port} is free` };
  } catch (error) {
    const holder = portHolder(port);
    if (byDefault)
      return { name: `${what} port`, verdict: "warn", detail: `${host}:${port} is taken${holder ? ` by ${holder}` : ""}: \`loom run\` will use the next free port and say which` };
    return {
      name: `${what} port`,
      verdict: "fail",
      detail: `${host}:${port} is taken${holder ? ` by ${holder}` : ""} (${(error as NodeJS.ErrnoException).code})`,
      fix: "stop that process, or `loom run --bridge-port 0 --dashboard-port 0` for free ones",
    };
  }
}

/** The agent's file for a script agent (its last argument under the project), else its command. */
function scriptOf(argv: string[], root: string): string {
  const script = argv.findLast((x) => x.startsWith(`${root}/`) && !x.startsWith(join(root, STATE_DIR)));
  return script ? relative(root, script) : argv.join(" ");
}

export interface DoctorReport {
  ok: boolean;
  root: string;
  checks: Check[];
}

export async function doctor(projectDir: string, env: Record<string, string | undefined> = process.env): Promise<DoctorReport> {
  const checks: Check[] = [];
  let project: ProjectConfig;
  try {
    project = await loadProjectConfig(projectDir, { env });
  } catch (error) {
    // Every problem the configuration has, each with its line, as `loom config` lists them.
    const problems = [messageOf(error), ...(isLoomError(error) ? error.details : [])];
    for (const [i, detail] of problems.entries())
      checks.push({ name: "loom.toml", verdict: "fail", detail, fix: i === problems.length - 1 && isLoomError(error) ? error.hint : undefined });
    return { ok: false, root: projectDir, checks };
  }
  const { config, root } = project;
  checks.push({ name: "loom.toml", verdict: "ok", detail: project.file ?? `none in ${root} or above: every default applies` });
  for (const w of [...project.warnings, ...(project.compatWarnings ?? [])]) checks.push({ name: "loom.toml", verdict: "warn", detail: w });

  const running = lockHolder(root);
  if (running)
    checks.push({ name: "running", verdict: "warn", detail: `loom already runs here (supervisor pid ${running}): \`loom run\` would be refused`, fix: "`loom down` first" });

  checks.push(await runtimeCheck(project, env));
  if (project.config.bridge.runtime !== "native" && project.config.bridge.runtime !== "remote") checks.push(sandboxCheck(project.config, env));
  const shadow = isCompiled() ? shadowWarning(process.execPath, env) : undefined;
  if (shadow) checks.push({ name: "loom on PATH", verdict: "warn", ...shadow });

  const warnings: string[] = [];
  try {
    const agents = planAgents(project, { python: pythonFor(root, env), bun: bunRuntime(), preload: join(root, STATE_DIR, "agent-preload.mjs") }, undefined, warnings);
    const tables = new Set(Object.keys(config.agents));
    checks.push({
      name: "agents",
      verdict: agents.length ? "ok" : "warn",
      detail: agents.length
        ? agents.map((a) => `${a.name} (${scriptOf(a.argv, root)}${tables.has(a.name) ? `, [agents.${a.name}]` : ""})`).join(", ")
        : "none found (agents/*.py|ts|js|mjs, main.py, run.py, app.py): the runtime would run alone",
    });
    for (const w of warnings) checks.push({ name: "agents", verdict: "warn", detail: w });
    const py = new Map<string, string[]>();
    for (const a of agents) if (a.argv[1]?.endsWith(".py")) py.set(a.argv[0]!, [...(py.get(a.argv[0]!) ?? []), a.name]);
    for (const [python, names] of py) checks.push(pythonCheck(python, names, root));
    checks.push(...compileChecks(agents, root, pythonFor(root, env)));
    if (agents.some((a) => a.env.BUN_BE_BUN === "1")) checks.push({ name: "typescript", verdict: "ok", detail: "TypeScript/JavaScript agents run with the Bun built into loom" });
  } catch (error) {
    checks.push({ name: "agents", verdict: "fail", detail: messageOf(error), fix: isLoomError(error) ? error.hint : undefined });
  }

  // A remote Bridge listens elsewhere: no port here is loom's to take.
  if (!running && config.bridge.runtime !== "remote") {
    const bridge = hostPort(config.bridge.address, "[bridge] address");
    checks.push(await portCheck("bridge", bridge.host, bridge.port, bridge.port === hostPort(BRIDGE_DEFAULTS.address).port));
    if (config.bridge.mode === "full" && config.dashboard.enabled)
      checks.push(await portCheck("dashboard", config.dashboard.host, config.dashboard.port, config.dashboard.port === DASHBOARD_DEFAULTS.port));
  }
  return { ok: !checks.some((c) => c.verdict === "fail"), root, checks };
}
