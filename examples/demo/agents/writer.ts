// A TypeScript agent with loom's SDK (`loom:sdk`, inside loom: no Node, Bun or npm install needed).
// It answers each request on draft.request with a draft on the request's reply topic:
//   loom pub draft.request '{"subject": "agents"}' --reply
import { Agent } from "loom:sdk";

await new Agent({
  id: "writer",
  topics: ["draft.request"],
  async onEvent(ctx, topic, event) {
    if (topic !== "draft.request") return;
    const { subject = "something" } = event.json<{ subject?: string }>();
    console.log(`writer: drafting about ${subject}`);
    await ctx.reply(event, { type: "draft.ready", payload: { draft: `A short note about ${subject}, written by the writer agent.` } });
  },
}).run();
