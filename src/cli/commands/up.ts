import type { ArgsDef } from "citty";
import { loomCommand } from "../command";
import { describeBinary } from "../../binaries/get-binary";
import { EXIT, LoomError } from "../../errors";
import type { UpOptions } from "../../launch/prepare";
import { log } from "../log";
import { installHooks } from "../progress";
import { type Flags, projectArg, secondsArg } from "../shared-args";
import { binaryArgs } from "./install";

/** The flags `loom up` and `loom run` share (`run` adds `--runtime remote` and its own). */
export const upArgs = {
  ...projectArg,
  detach: { type: "boolean", alias: "d", description: "Return once everything is ready; a background supervisor keeps it running (stop with `loom down`)" },
  "wait-agents": { type: "boolean", description: "With --detach: return once every started agent has registered with the Bridge (an agent that exits is reported at once)" },
  "bridge-port": { type: "string", description: "Bridge port (0 picks a free one); overrides [bridge] address's port", valueHint: "N" },
  "dashboard-port": { type: "string", description: "Dashboard port (0 picks a free one)", valueHint: "N" },
  mode: { type: "enum", options: ["full", "bridge-only"], description: "Runtime mode (overrides [bridge] mode)" },
  "runtime-version": {
    type: "string",
    alias: ["version"],
    description: "Runtime version (overrides [bridge] version); --version as upstream's `loom up --version`",
    valueHint: "V",
  },
  runtime: {
    type: "enum",
    options: ["auto", "native", "embedded"],
    description: "Which runtime: a native binary, the Bridge inside loom, or native when one can be had (default: [bridge] runtime, else auto)",
  },
  grace: { type: "string", description: "Seconds between SIGTERM and SIGKILL when stopping (default 5)", valueHint: "S" },
  "logs-dir": { type: "string", description: "Where process logs go (default .loom/logs)", valueHint: "DIR" },
  ...binaryArgs,
} as const satisfies ArgsDef;

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new LoomError("USAGE", `--${flag} must be a port number from 0 to 65535, not "${value}"`, { hint: `--${flag} 0 picks a free port` });
  return n;
}

function grace(value: string | undefined): number | undefined {
  return value === undefined ? undefined : secondsArg("grace", value, 0, { zero: true, hint: "--grace 10" }) * 1000;
}

/** What `loom run` adds to them: a Bridge elsewhere, and --watch. */
export const runOnlyArgs = {
  runtime: {
    type: "enum",
    options: ["auto", "native", "embedded", "remote"],
    description: "Which runtime: a native binary, the Bridge inside loom, native when one can be had, or a Bridge elsewhere (default: [bridge] runtime, else auto)",
  },
  watch: {
    type: "boolean",
    alias: "w",
    description: "Restart an agent when its file, a file beside or under it, or its [agents.<name>] watch globs change; reload loom.toml and .env when they change",
  },
  bridge: {
    type: "string",
    description: 'Run only the agents, against a Bridge elsewhere (HOST:PORT, or https://HOST:PORT for TLS); as [bridge] runtime = "remote"',
    valueHint: "HOST:PORT",
  },
} as const satisfies ArgsDef;

/** The flags of `loom up` and `loom run` as citty parses them. */
type StartArgs = Flags<Omit<typeof upArgs, "runtime"> & typeof runOnlyArgs>;

/** Shared by `loom up`, `loom run` and `loom dev` (which names its runtime `binary`). */
export async function startCommand(args: StartArgs, withAgents: boolean, agentPaths?: string[], binary?: UpOptions["binary"]): Promise<number> {
  const { prepare } = await import("../../launch/prepare");
  const { runSupervised } = await import("../../launch/run-supervised");
  const { startDetached } = await import("../../launch/detach");
  const up: UpOptions = {
    projectDir: args.project ?? process.cwd(),
    withAgents,
    agentPaths,
    bridgePort: port(args["bridge-port"], "bridge-port"),
    dashboardPort: port(args["dashboard-port"], "dashboard-port"),
    logsDir: args["logs-dir"],
    mode: args.mode,
    runtimeVersion: args["runtime-version"],
    runtime: args.runtime,
    forceDownload: Boolean(args["force-download"]),
    preferDebug: args["use-debug"] ? true : undefined,
    hooks: installHooks(),
    watch: Boolean(args.watch),
    remote: args.bridge,
    binary,
  };
  const graceMs = grace(args.grace);
  // Until the supervisor takes over its signals: `loom down` (SIGTERM) or Ctrl+C while the
  // runtime is still being fetched ends this start with a message, not a silent death.
  const early = (signal: NodeJS.Signals) => {
    process.stderr.write(`error: stopped by ${signal} while starting${signal === "SIGTERM" ? " (`loom down`?)" : ""}; nothing was started\n`);
    process.exit(EXIT.interrupted);
  };
  process.on("SIGTERM", early);
  process.on("SIGINT", early);
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(up);
  } finally {
    process.off("SIGTERM", early);
    process.off("SIGINT", early);
  }
  for (const w of prepared.warnings) log.warn(w);
  log.info(`runtime: ${describeBinary(prepared.binary, prepared.project.root)}`);
  if (args.detach) {
    const ledger = await startDetached(prepared, up, graceMs);
    if (args["wait-agents"]) {
      const { waitForAgents } = await import("../../launch/wait-agents");
      const waited = await waitForAgents(ledger, prepared.project.config.bridge.timeout_sec * 1000);
      if ("unknown" in waited) log.warn(`cannot know whether the agents registered: ${waited.unknown}; returning once they run`);
      else {
        if (waited.exited.length) log.warn(`not waited for, they exited: ${waited.exited.join(", ")}`);
        if (waited.registered.length) log.info(`agents registered with the Bridge: ${waited.registered.join(", ")}`);
      }
    }
    // An agent that cannot start leaves the rest running, as in the foreground; it is said, and the exit is 5.
    const { agentsThatCannotStart, cannotStart } = await import("../../launch/detach");
    const cannot = agentsThatCannotStart(ledger);
    for (const agent of cannot) {
      const e = cannotStart(agent);
      log.error([e.message, ...e.details.map((d) => `  ${d}`), ...(e.hint ? [`hint: ${e.hint}`] : [])].join("\n"));
    }
    const agents = Object.values(ledger.children)
      .filter((c) => c.kind === "agent")
      .map((c) => c.name);
    process.stdout.write(
      [
        `loom is running in the background (supervisor pid ${ledger.supervisor.pid})`,
        `bridge     ${ledger.bridge.address}`,
        ...(ledger.dashboard ? [`dashboard  ${ledger.dashboard}`] : []),
        ...(agents.length ? [`agents     ${agents.join(", ")}`] : []),
        `logs       ${ledger.logsDir}`,
        "stop with  loom down",
      ].join("\n") + "\n",
    );
    return cannot.length ? EXIT.problems : EXIT.ok;
  }
  return await runSupervised(prepared, { graceMs, printOutput: true, watch: up.watch, agentPaths });
}

export default loomCommand({
  meta: {
    name: "up",
    description: "Start the Loom runtime (Bridge, and Dashboard in full mode) and keep it running",
    examples: ["loom up", "loom up --detach", "loom up --bridge-port 0 --detach", "loom up --use-debug"],
  },
  args: upArgs,
  async run({ args }) {
    return await startCommand(args, false);
  },
});
