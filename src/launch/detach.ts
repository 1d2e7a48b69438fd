/**
 * `loom up|run --detach`: a background supervisor (`loom __supervise`) runs the project, and this
 * process returns once everything is ready, or with the supervisor's own error and exit code.
 * - The options go to the child on its stdin (never in argv, which other users can read), checked
 *   against a schema there.
 * - The project lock passes to the child as descriptor 3: it is held all along, so no other start
 *   can slip in between.
 * - The child reports on descriptor 4, one JSON line: `{"ready": ledger}` once every agent has
 *   stayed up DETACH_SETTLE_MS (or exited cleanly), or `{"failed": {...}}` with its error; a pipe
 *   that closes without a report means the child died, and its exit code and log say how.
 */
import { closeSync, writeSync } from "node:fs";
import { join } from "pathe";
import { z } from "zod";
import { envNumber } from "../config/env/env-number";
import { DETACH_SETTLE_MS } from "../constants";
import { type ErrorCode, exitCodeOf, isLoomError, LoomError } from "../errors";
import { openAppendNoFollow } from "../files/private";
import { logText } from "../logs/printer";
import { tailLines } from "../logs/tail";
import { selfArgv } from "../proc/self";
import { askTopology } from "../client/topology";
import { type ChildRecord, type Ledger, ledgerShape } from "../state/ledger";
import { BRIDGE_MODES, type BridgeMode, RUNTIME_CHOICES, type RuntimeChoice } from "../config/types";
import type { Supervisor } from "../supervisor/supervisor";
import { prepare, type Prepared, type UpOptions } from "./prepare";
import { runSupervised } from "./run-supervised";
import { describeRootError, rootError } from "../logs/root-error";

const LOCK_FD = 3;
const REPORT_FD = 4;

const ERROR_CODES = ["USAGE", "CONFIG", "DOWNLOAD", "VERIFY", "PROCESS", "PROBLEM", "INTERRUPTED", "UNEXPECTED"] as const satisfies readonly ErrorCode[];
const failure = z.object({ code: z.enum(ERROR_CODES), message: z.string(), hint: z.string().optional(), details: z.array(z.string()).default([]) });
// The ledger as state/ledger.ts parses it from disk: the same shape, whether read from the file or from the pipe.
const report = z.union([z.object({ ready: ledgerShape }), z.object({ failed: failure })]);
type Report = z.infer<typeof report>;
/** What the child writes: its ledger as the supervisor keeps it, or its failure. */
type Sent = { ready: Ledger } | { failed: z.input<typeof failure> };

/** What the child is given (launch/prepare.ts UpOptions, parsed field by field); `env` and `hooks` stay with the parent. */
const upOptions = z.object({
  projectDir: z.string(),
  withAgents: z.boolean(),
  watch: z.boolean().optional(),
  agentPaths: z.array(z.string()).optional(),
  bridgePort: z.number().int().min(0).max(65_535).optional(),
  dashboardPort: z.number().int().min(0).max(65_535).optional(),
  mode: z.enum(BRIDGE_MODES as [BridgeMode, ...BridgeMode[]]).optional(),
  runtime: z.enum(RUNTIME_CHOICES as [RuntimeChoice, ...RuntimeChoice[]]).optional(),
  remote: z.string().optional(),
  runtimeVersion: z.string().optional(),
  logsDir: z.string().optional(),
  forceDownload: z.boolean().optional(),
  preferDebug: z.boolean().optional(),
  portsChecked: z.boolean().optional(),
  binary: z.object({ path: z.string(), source: z.enum(["override", "local", "cache", "download", "embedded", "remote"]), version: z.string().optional() }).optional(),
}) satisfies z.ZodType<Omit<UpOptions, "env" | "hooks" | "lockFd">>;
const detachedSpec = z.object({ up: upOptions, graceMs: z.number().optional() });

/**
 * Agents that cannot start at all (a crash loop in their first seconds, or a failed exit with no
 * restart). The start is not undone for them, as a foreground `loom run` keeps the others: `loom
 * run -d` returns with the project running, says why each failed, and exits 5 (cli/commands/up.ts).
 */
export function agentsThatCannotStart(ledger: Ledger): ChildRecord[] {
  return Object.values(ledger.children).filter((c) => c.kind === "agent" && (c.state === "crash-loop" || (c.state === "exited" && c.lastExit?.code !== 0)));
}

/**
 * Every agent has either settled (registered with the Bridge, or running for `settleMs`, or done
 * with exit 0) or cannot start. An agent that registered is up: `run -d` need not wait out the
 * settle time for it (the starter registers in about a tenth of it).
 */
function agentsSettled(ledger: Ledger, settleMs: number, registered: ReadonlySet<string>): boolean {
  const now = Date.now();
  const failed = new Set(agentsThatCannotStart(ledger));
  return Object.values(ledger.children).every(
    (c) =>
      c.kind !== "agent" ||
      failed.has(c) ||
      (c.state === "running" && registered.has(c.name.replace(/\.\d+$/, ""))) ||
      (c.state === "running" && c.startedAt !== undefined && now - c.startedAt >= settleMs) ||
      (c.lastExit?.code === 0 && !c.lastExit.signal),
  );
}

/** What to say of an agent that cannot start: why, in its own words (its root error), and how to go on. */
export function cannotStart(agent: ChildRecord): LoomError {
  // Its last run's lines: after the last start marker loom wrote in the file (logs/log-file.ts).
  const recent = tailLines(agent.logs.err, 200);
  const lastStart = recent.findLastIndex((l) => /^--- loom \S+ start /.test(l));
  const output = recent.slice(lastStart + 1).filter((l) => !l.startsWith("--- loom "));
  const said = describeRootError(rootError(output, 8), agent.name);
  return new LoomError(
    "PROBLEM",
    `agent ${agent.name} could not start: ${agent.reason ?? `it ${agent.lastExit?.signal ? `was killed by ${agent.lastExit.signal}` : `exited with code ${agent.lastExit?.code}`}`}`,
    {
      details: said.details,
      hint: `${said.hint ? `${said.hint}; ` : ""}the rest of the project runs (\`loom logs ${agent.name}\` has its output; \`loom down\` stops everything)`,
    },
  );
}

/** `loom __supervise`: the background supervisor, reporting to its parent on descriptor 4. */
export async function superviseMain(): Promise<number> {
  const tell = (message: Sent) => {
    try {
      writeSync(REPORT_FD, `${JSON.stringify(message)}\n`);
      closeSync(REPORT_FD);
    } catch {} // the parent went away: nobody to tell
  };
  const told = (error: unknown): number => {
    const e = isLoomError(error) ? error : new LoomError("UNEXPECTED", error instanceof Error ? error.message : String(error));
    console.error(`error: ${logText(e.message)}${e.hint ? `\nhint: ${logText(e.hint)}` : ""}`); // into supervisor.log
    tell({ failed: { code: e.code, message: e.message, hint: e.hint, details: e.details } });
    return exitCodeOf(e);
  };
  let spec: z.infer<typeof detachedSpec>;
  try {
    spec = detachedSpec.parse(JSON.parse(await Bun.stdin.text()));
  } catch (error) {
    return told(new LoomError("UNEXPECTED", `the background supervisor was started without its options (${(error as Error).message})`));
  }
  const stamp = () => new Date().toISOString();
  const settleMs = envNumber(process.env, "LOOM_DETACH_SETTLE_MS", DETACH_SETTLE_MS);
  let prepared: Prepared;
  try {
    prepared = await prepare({ ...spec.up, env: process.env, lockFd: LOCK_FD });
  } catch (error) {
    return told(error);
  }
  const settle = async (sup: Supervisor) => {
    for (;;) {
      const ledger = (await sup.control({ cmd: "status" })).ledger as Ledger;
      // The embedded Bridge says who registered, over its socket (client/topology.ts); a native one is left to the settle time.
      const topology = ledger.bridge.socket ? await askTopology(ledger.bridge.socket, 200) : undefined;
      const registered = new Set((topology?.agents ?? []).filter((a) => a.connected).map((a) => a.id));
      if (agentsSettled(ledger, settleMs, registered)) return tell({ ready: ledger });
      await Bun.sleep(5);
    }
  };
  try {
    return await runSupervised(prepared, {
      graceMs: spec.graceMs,
      printOutput: false,
      detached: true,
      watch: spec.up.watch === true,
      agentPaths: spec.up.agentPaths as string[] | undefined,
      onEvent: (level, message) => console.log(`${stamp()} ${level} ${logText(message, "    ")}`),
      onStarted: (sup) => void settle(sup),
    });
  } catch (error) {
    return told(error);
  }
}

/** The first report on `fd`, or undefined when the child closed it without one. */
async function firstReport(fd: number): Promise<Report | undefined> {
  let text = "";
  for await (const chunk of Bun.file(fd).stream()) {
    text += new TextDecoder().decode(chunk);
    if (text.includes("\n")) break;
  }
  try {
    return report.parse(JSON.parse(text.split("\n")[0]!));
  } catch {
    return undefined;
  }
}

/**
 * Starts the background supervisor and waits for its report. The parent has prepared once, so
 * configuration, port and download errors were reported here already, with their own exit codes.
 */
export async function startDetached(prepared: Prepared, up: UpOptions, graceMs?: number): Promise<Ledger> {
  const root = prepared.project.root;
  const logFile = join(prepared.logsDir, "supervisor.log");
  const logFd = openAppendNoFollow(logFile);
  const spec = {
    up: {
      ...up,
      env: undefined,
      hooks: undefined,
      binary: prepared.binary,
      portsChecked: true,
      bridgePort: prepared.endpoints.bridgePort,
      dashboardPort: prepared.endpoints.dashboardPort,
      logsDir: prepared.logsDir,
      projectDir: root,
    },
    graceMs,
  };
  const { BUN_BE_BUN: _, ...env } = process.env;
  const proc = Bun.spawn([...selfArgv(), "__supervise"], { cwd: root, env, stdio: ["pipe", logFd, logFd, prepared.lock.fd, "pipe"], detached: true });
  proc.stdin.write(JSON.stringify(spec));
  await proc.stdin.end();
  closeSync(logFd);
  prepared.lock.release(); // this process's descriptor only: the child's keeps the lock
  proc.unref();
  const timeoutMs = (prepared.project.config.bridge.timeout_sec + 30) * 1000;
  const message = await Promise.race([firstReport(proc.stdio[REPORT_FD] as number), Bun.sleep(timeoutMs).then(() => "timeout" as const)]);
  if (message && message !== "timeout" && "ready" in message) return message.ready as Ledger; // its shape parsed (ledgerShape); the rest kept as written
  if (message === "timeout") proc.kill("SIGTERM");
  const exited = await Promise.race([proc.exited, Bun.sleep((graceMs ?? 5_000) * 2 + 5_000).then(() => undefined)]);
  if (message && message !== "timeout") {
    const f = message.failed;
    throw new LoomError(f.code, f.message, { details: f.details, hint: f.hint });
  }
  const lines = tailLines(logFile, 15);
  throw new LoomError(
    "PROCESS",
    `the background supervisor ${message === "timeout" ? `did not get ready within ${timeoutMs / 1000}s` : `ended without a report (exit code ${exited ?? "unknown"})`}`,
    {
      details: lines.length ? [`${logFile}:`, ...lines.map((l) => `  ${l}`)] : [],
      hint: "`loom logs` shows each process's output",
    },
  );
}
