import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "pub",
    description: "Publish an event to a topic as a CLI agent (the payload is JSON; `-` reads one event per stdin line)",
    examples: ["loom pub market.price.BTC '{\"price\": 97000}'", "tail -f prices.jsonl | loom pub market.price.BTC -"],
  },
  args: {
    ...projectArg,
    topic: { type: "positional", required: true, description: "Topic to publish to", valueHint: "TOPIC" },
    payload: { type: "positional", required: false, description: "JSON payload, or - for one per stdin line (default {})", valueHint: "JSON|-" },
    address: { type: "string", description: "Bridge address (default: the running project's, else LOOM_BRIDGE_ADDR, else loom.toml's)", valueHint: "HOST:PORT" },
  },
  async run({ args }) {
    const { bridgeTarget } = await import("../../client/address");
    const { connectAgent } = await import("../../client/agent");
    const json = (text: string, where: string) => {
      try {
        JSON.parse(text);
      } catch {
        throw new LoomError("USAGE", `${where} is not JSON: ${text.slice(0, 60)}`, { hint: "quote the payload: loom pub TOPIC '{\"k\": 1}'" });
      }
      return text;
    };
    const target = await bridgeTarget(args.project ?? process.cwd(), args.address);
    const agent = await connectAgent(target, `loom-pub-${process.pid}`, []);
    let sent = 0;
    try {
      if (args.payload === "-") {
        let line = 0;
        for await (const text of console) {
          line++;
          if (!text.trim()) continue;
          agent.publish(args.topic, json(text, `stdin line ${line}`));
          sent++;
        }
      } else {
        agent.publish(args.topic, json(args.payload ?? "{}", "the payload"));
        sent++;
      }
    } finally {
      await agent.close();
    }
    process.stderr.write(`published ${sent} event${sent === 1 ? "" : "s"} to ${args.topic}\n`);
  },
});
