/**
 * `loom run --detach --wait-agents`: return once every started agent has registered with the
 * Bridge, so the CI steps that follow can talk to them at once. The embedded Bridge is asked over
 * its socket (bridge/admin.ts), with or without a dashboard; a native runtime through its
 * dashboard's `/api/topology` where it has one; without either it cannot be known, and loom says
 * so rather than pretend. An agent that exits meanwhile is not waited for: it is reported with
 * its exit code at once.
 */
import { askTopology, dashboardTopology } from "../client/topology";
import { LoomError } from "../errors";
import { readLedger, type ChildRecord, type Ledger } from "../state/ledger";

export interface Waited {
  registered: string[];
  /** Agents that exited before registering: "name (exit 0)". */
  exited: string[];
}

const gone = (c: ChildRecord) => c.state === "exited" || c.state === "crash-loop" || c.state === "stopped";
const exitOf = (c: ChildRecord) => `${c.name} (${c.lastExit?.signal ? `killed by ${c.lastExit.signal}` : `exit ${c.lastExit?.code ?? "?"}`})`;

/** Agents by id: the replicas of an id (`name.2`, `name.3`, launch/process-plan.ts) are one. */
const distinctIds = (children: ChildRecord[]) => new Set(children.map((c) => c.name.replace(/\.\d+$/, ""))).size;

/** Resolves with the registered agent ids, or a sentence saying why it cannot be known. */
export async function waitForAgents(ledger: Ledger, deadlineMs: number, read: (root: string) => Ledger | undefined = readLedger): Promise<Waited | { unknown: string }> {
  const ask = ledger.bridge.socket ? () => askTopology(ledger.bridge.socket!) : ledger.dashboard ? () => dashboardTopology(ledger.dashboard!) : undefined;
  const agents = () => Object.values((read(ledger.root) ?? ledger).children).filter((c) => c.kind === "agent");
  if (agents().length === 0) return { registered: [], exited: [] };
  if (!ask) return { unknown: "bridge-only mode of a native runtime has no dashboard to ask" };
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const now = agents();
    const exited = now.filter(gone).map(exitOf);
    const expected = now.length - exited.length;
    const topology = await ask();
    if (!topology?.agents) {
      if (Date.now() > deadline) return { unknown: "the runtime's dashboard does not answer /api/topology" };
    } else {
      const connected = topology.agents.filter((a) => a.connected !== false);
      const registered = connected.map((a) => a.id);
      // Replicas share their id: the embedded Bridge counts their streams; a native one says only the id.
      const streams = connected.reduce((n, a) => n + (a.streams ?? 1), 0);
      if (streams >= expected || (connected.every((a) => a.streams === undefined) && registered.length >= distinctIds(now.filter((c) => !gone(c))))) return { registered, exited };
      if (Date.now() > deadline)
        throw new LoomError(
          "PROCESS",
          `only ${streams} of ${expected} running agents registered with the Bridge in ${Math.round(deadlineMs / 1000)}s${registered.length ? ` (${registered.join(", ")})` : ""}${exited.length ? `; exited: ${exited.join(", ")}` : ""}`,
          {
            hint: "they keep running (`loom down` stops them); `loom logs` shows what the others are doing; an agent registers when it connects with its SDK",
          },
        );
    }
    await Bun.sleep(50);
  }
}
