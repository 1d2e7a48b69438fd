/**
 * Replicas sharing the work (`delivery = "shared"`) on the embedded Bridge (in this process,
 * startEmbeddedBridge): 20,000 events published to `jobs`, received by three streams of one agent
 * id that share them, against the floor of one stream receiving all of them, and against upstream's
 * semantics ("each": three streams, every event to each). Events/s until the last is received, and
 * how the shared ones were spread.
 * Run: bun bench/replicas.ts
 */
import * as grpc from "@grpc/grpc-js";
import { startEmbeddedBridge } from "../src/api/embedded";
import { loomV1 } from "../src/protocol/services";
import { fmt, table } from "./lib";

const N = 20_000;

async function run(shared: boolean, replicas: number): Promise<{ rate: number; spread: number[] }> {
  const bridge = await startEmbeddedBridge({ sharedAgents: shared ? ["worker"] : [] });
  const { Bridge } = loomV1();
  const open = async (id: string, topics: string[]) => {
    const c = new Bridge(bridge.address, grpc.credentials.createInsecure());
    await new Promise<void>((ok, fail) => c.RegisterAgent({ agent_id: id, subscribed_topics: topics, tools: [] }, (e) => (e ? fail(e) : ok())));
    const s = c.EventStream();
    s.on("error", () => {}); // the Bridge stops at the end of each run
    s.write({ ack: { message_id: id } });
    return { c, s };
  };
  const workers = await Promise.all(Array.from({ length: replicas }, () => open("worker", ["jobs"])));
  const spread = workers.map(() => 0);
  const expected = shared ? N : N * replicas;
  let got = 0;
  const done = Promise.withResolvers<void>();
  for (const [i, w] of workers.entries())
    w.s.on("data", (m) => {
      if (m.msg !== "delivery") return;
      spread[i]!++;
      if (++got === expected) done.resolve();
    });
  const pub = await open("producer", []);
  await Bun.sleep(200);
  const t = performance.now();
  for (let i = 0; i < N; i++) pub.s.write({ publish: { topic: "jobs", event: { id: String(i), payload: Buffer.from('{"n":1}') } } });
  await Promise.race([done.promise, Bun.sleep(60_000)]);
  const rate = got / ((performance.now() - t) / 1000);
  for (const x of [...workers, pub]) {
    x.s.end();
    x.c.close();
  }
  bridge.stop();
  return { rate, spread };
}

const floor = await run(false, 1);
const shared = await run(true, 3);
const each = await run(false, 3);
console.log(
  table([
    ["20,000 events to jobs", "events/s received", "/ floor", "per stream"],
    ["one stream (the floor)", fmt(floor.rate), "1.00", floor.spread.join(" / ")],
    ['three replicas, delivery = "shared"', fmt(shared.rate), fmt(shared.rate / floor.rate, 2), shared.spread.join(" / ")],
    ['three replicas, delivery = "each" (upstream)', fmt(each.rate), fmt(each.rate / floor.rate, 2), each.spread.join(" / ")],
  ]),
);
process.exit(0);
