/**
 * `loom __supervise`: the background supervisor of `loom up|run --detach` (detach.ts starts it).
 * It is handed the plan its parent prepared (configuration, endpoints, runtime, processes) on its
 * standard input and the project lock as descriptor 3, and supervises that plan: it does not
 * prepare again, so it never evaluates the configuration's, the downloads' or the CLI's modules
 * (about 4 MB of private memory and 10 of RSS at 50 agents, docs/benchmarks.md). It reports on
 * descriptor 4, one JSON line: `{"ready": ledger}` once every agent has settled, or
 * `{"failed": {...}}` with its error.
 *
 * The plan is not checked against a schema: it comes from the executable's own earlier run
 * through a pipe only the two hold, and the version it carries must be this one's (an executable
 * replaced between the two would read it differently).
 */
import { closeSync, writeSync } from "node:fs";
import { askTopology } from "../client/topology";
import { envNumber } from "../config/env/env-number";
import { DETACH_SETTLE_MS } from "../constants";
import { exitCodeOf, isLoomError, LoomError } from "../errors";
import { logText } from "../logs/printer";
import type { ChildRecord, Ledger } from "../state/ledger";
import { adoptLock } from "../state/project-lock";
import type { Supervisor } from "../supervisor/supervisor";
import { LOOM_VERSION } from "../version";
import type { Prepared } from "./prepare";
import { runSupervised } from "./run-supervised";

export const LOCK_FD = 3;
export const REPORT_FD = 4;

/** What the parent hands its background supervisor. */
export interface DetachedPlan {
  version: string;
  prepared: Omit<Prepared, "lock">;
  graceMs?: number;
  watch: boolean;
  agentPaths?: string[];
}

/** What the child writes: its ledger as the supervisor keeps it, or its failure. */
export type Sent = { ready: Ledger } | { failed: { code: string; message: string; hint?: string; details: string[] } };

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

/** The plan on standard input, or why it cannot be used. */
async function readPlan(): Promise<DetachedPlan> {
  let plan: DetachedPlan;
  try {
    plan = JSON.parse(await Bun.stdin.text());
  } catch (error) {
    throw new LoomError("UNEXPECTED", `the background supervisor was started without its plan (${(error as Error).message})`);
  }
  if (plan?.version !== LOOM_VERSION)
    throw new LoomError("PROCESS", `the background supervisor is loom ${LOOM_VERSION}, and its plan was made by loom ${plan?.version ?? "(none)"}`, {
      hint: "the loom executable was replaced during the start; run the command again",
    });
  if (typeof plan.prepared?.project?.root !== "string" || !Array.isArray(plan.prepared.agents) || !Array.isArray(plan.prepared.runtime?.argv))
    throw new LoomError("UNEXPECTED", "the background supervisor's plan is incomplete");
  return plan;
}

/** `loom __supervise`: supervises the plan on stdin until stopped; its exit code. */
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
  let plan: DetachedPlan;
  try {
    plan = await readPlan();
  } catch (error) {
    return told(error);
  }
  const root = plan.prepared.project.root;
  const lock = adoptLock(root, LOCK_FD);
  if (!lock) return told(new LoomError("PROCESS", `the background supervisor was not handed the lock of ${root}`, { hint: "`loom status` shows what runs there" }));
  const stamp = () => new Date().toISOString();
  const settleMs = envNumber(process.env, "LOOM_DETACH_SETTLE_MS", DETACH_SETTLE_MS);
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
    return await runSupervised(
      { ...plan.prepared, lock },
      {
        graceMs: plan.graceMs,
        printOutput: false,
        detached: true,
        watch: plan.watch,
        agentPaths: plan.agentPaths,
        onEvent: (level, message) => console.log(`${stamp()} ${level} ${logText(message, "    ")}`),
        onStarted: (sup) => void settle(sup),
      },
    );
  } catch (error) {
    return told(error);
  }
}
