/**
 * `loom up|run --detach`: a background supervisor (`loom __supervise`) runs the project, and this
 * process returns once everything is ready, or with the supervisor's own error and exit code.
 * - The plan this process prepared goes to the child on its stdin (never in argv, which other
 *   users can read): the child supervises it without preparing again (detached-supervisor.ts).
 * - The project lock passes to the child as descriptor 3: it is held all along, so no other start
 *   can slip in between.
 * - The child reports on descriptor 4, one JSON line: `{"ready": ledger}` once every agent has
 *   stayed up DETACH_SETTLE_MS (or exited cleanly), or `{"failed": {...}}` with its error; a pipe
 *   that closes without a report means the child died, and its exit code and log say how.
 */
import { closeSync } from "node:fs";
import { join } from "pathe";
import { z } from "zod";
import type { ErrorCode } from "../errors";
import { LoomError } from "../errors";
import { openAppendNoFollow } from "../files/private";
import { tailLines } from "../logs/tail";
import { selfArgv } from "../proc/self";
import { type ChildRecord, type Ledger, ledgerShape } from "../state/ledger";
import { LOOM_VERSION } from "../version";
import type { Prepared } from "./prepare";
import { describeRootError, rootError } from "../logs/root-error";
import { type DetachedPlan, LOCK_FD, REPORT_FD } from "./detached-supervisor";

export { agentsThatCannotStart } from "./detached-supervisor";

const ERROR_CODES = ["USAGE", "CONFIG", "DOWNLOAD", "VERIFY", "PROCESS", "PROBLEM", "INTERRUPTED", "UNEXPECTED"] as const satisfies readonly ErrorCode[];
const failure = z.object({ code: z.enum(ERROR_CODES), message: z.string(), hint: z.string().optional(), details: z.array(z.string()).default([]) });
// The ledger as state/ledger.ts parses it from disk: the same shape, whether read from the file or from the pipe.
const report = z.union([z.object({ ready: ledgerShape }), z.object({ failed: failure })]);
type Report = z.infer<typeof report>;

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
export async function startDetached(prepared: Prepared, run: { watch?: boolean; agentPaths?: string[] }, graceMs?: number): Promise<Ledger> {
  const root = prepared.project.root;
  const logFile = join(prepared.logsDir, "supervisor.log");
  const logFd = openAppendNoFollow(logFile);
  const { lock: _lock, ...plan } = prepared;
  const spec: DetachedPlan = { version: LOOM_VERSION, prepared: plan, graceMs, watch: run.watch === true, agentPaths: run.agentPaths };
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
