// For each job on `jobs`, says which replica handled it (its number under `loom run`, its
// container's host name in a pod) on `done`:
//   loom sub done &  loom pub jobs '{"n": 1}'
import { Agent } from "loom:sdk";

await new Agent({
  id: "worker",
  topics: ["jobs"],
  async onEvent(ctx, topic, event) {
    if (topic === "jobs") await ctx.emit("done", { type: "done", payload: { n: event.json<{ n: number }>().n, replica: process.env.LOOM_AGENT_REPLICA ?? process.env.HOSTNAME } });
  },
}).run();
