/**
 * `loom run --detach --wait-agents`: return once every started agent has registered with the
 * Bridge, so the CI steps that follow can talk to them at once. Known from the dashboard's
 * `/api/topology` (the embedded Bridge's, or a native full-mode runtime's where it answers it);
 * without a dashboard it cannot be known, and loom says so rather than pretend.
 */
import { LoomError } from "../errors";
import type { Ledger } from "./state";

interface Topology {
  agents?: { id: string; connected?: boolean }[];
}

async function topology(dashboard: string): Promise<Topology | undefined> {
  try {
    const r = await fetch(`${dashboard}/api/topology`, { signal: AbortSignal.timeout(1_000) });
    return r.ok ? ((await r.json()) as Topology) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves with the registered agent ids, or a sentence saying why it cannot be known. */
export async function waitForAgents(ledger: Ledger, deadlineMs: number): Promise<{ registered: string[] } | { unknown: string }> {
  const started = Object.values(ledger.children).filter((c) => c.kind === "agent").length;
  if (started === 0) return { registered: [] };
  if (!ledger.dashboard) return { unknown: "bridge-only mode has no dashboard to ask" };
  let last: Topology | undefined;
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    last = await topology(ledger.dashboard);
    if (!last?.agents) {
      if (Date.now() > deadline) return { unknown: `the runtime's dashboard does not answer /api/topology` };
    } else {
      const registered = last.agents.filter((a) => a.connected !== false).map((a) => a.id);
      if (registered.length >= started) return { registered };
      if (Date.now() > deadline)
        throw new LoomError(
          "PROCESS",
          `only ${registered.length} of ${started} agents registered with the Bridge in ${Math.round(deadlineMs / 1000)}s${registered.length ? ` (${registered.join(", ")})` : ""}`,
          {
            hint: "they keep running (`loom down` stops them); `loom logs` shows what the others are doing; an agent registers when it connects with its SDK",
          },
        );
    }
    await Bun.sleep(50);
  }
}
