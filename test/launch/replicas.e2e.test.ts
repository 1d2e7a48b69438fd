/**
 * `[agents.<id>] replicas = 3`: loom run starts three processes of the agent under one id, and the
 * embedded Bridge gives each event to one of them (delivery = "shared"), in turn; with
 * delivery = "each" (upstream's semantics) every replica gets every event.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "pathe";
import { connectAgent } from "../../src/client/agent";
import { ROOT } from "../helpers/loom";
import { loom, makeProject, poll } from "../helpers/runtime";

/** The worker of examples/cluster, as its users run it. */
const WORKER = readFileSync(join(ROOT, "examples/cluster/agents/worker.ts"), "utf8");

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

async function handled(delivery: string): Promise<{ n: number; replica: string }[]> {
  const root = makeProject([], `runtime = "embedded"\n[agents.worker]\nreplicas = 3\n${delivery}`, { "agents/worker.ts": WORKER });
  // --wait-agents counts the replicas' streams, not their one id.
  const run = await loom(["run", "--detach", "--wait-agents", ...FREE], root);
  expect(run.code).toBe(0);
  expect(run.err).toContain("agents registered with the Bridge: worker");
  const status = JSON.parse((await loom(["status", "--json"], root)).out) as { bridge: string; processes: { name: string; state: string }[] };
  expect(status.processes.filter((p) => p.name.startsWith("worker")).map((p) => `${p.name} ${p.state}`)).toEqual(["worker running", "worker.2 running", "worker.3 running"]);
  const target = { address: status.bridge, shown: status.bridge };
  const metrics = (await fetch(`${JSON.parse((await loom(["status", "--json"], root)).out).dashboard}/api/metrics`).then((r) => r.json())) as { active_subscriptions: number };
  expect(metrics.active_subscriptions).toBe(6); // already: each replica, jobs and its reply topic
  const seen: { n: number; replica: string }[] = [];
  const sub = await connectAgent(target, "counter", ["done"]);
  sub.onDelivery((d) => seen.push(JSON.parse(Buffer.from(d.event.payload ?? []).toString())));
  const pub = await connectAgent(target, "producer", []);
  for (let n = 0; n < 30; n++) pub.publish("jobs", JSON.stringify({ n }));
  await pub.close();
  await poll("the answers", () => seen.length >= (delivery.includes("each") ? 90 : 30));
  await Bun.sleep(300); // nothing more comes: each event was handled as many times as said
  await sub.close();
  return seen;
}

describe("replicas", () => {
  test("shared (the default with replicas > 1): each event handled once, by the three in turn", async () => {
    const seen = await handled("");
    expect(seen.map((s) => s.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const per = Object.groupBy(seen, (s) => s.replica);
    expect(Object.keys(per).sort()).toEqual(["1", "2", "3"]);
    for (const r of Object.values(per)) expect(r!.length).toBe(10);
  });

  test('delivery = "each": every replica handles every event, as upstream delivers to every stream of an id', async () => {
    const seen = await handled('delivery = "each"\n');
    expect(seen).toHaveLength(90);
  });
});
