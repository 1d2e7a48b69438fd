import { loomCommand } from "../command";
import { countArg, addressArg, jsonArg, projectArg } from "../shared-args";
import { EXIT, LoomError } from "../../errors";

export default loomCommand({
  meta: {
    name: "sub",
    description: "Print the events of topics as they arrive (exact, or a trailing .* wildcard) until Ctrl+C or --count",
    examples: ["loom sub market.price.*", "loom sub chat.input chat.replies --json", "loom sub agent.x.replies --count 1"],
  },
  args: {
    ...projectArg,
    ...jsonArg,
    topic: { type: "positional", required: true, description: "Topics (more may follow)", valueHint: "TOPIC..." },
    count: { type: "string", alias: "c", description: "Exit after this many events", valueHint: "N" },
    ...addressArg,
  },
  async run({ args }) {
    const topics = (args._ as string[]).length ? (args._ as string[]) : [args.topic];
    const count = countArg("count", args.count, Number.POSITIVE_INFINITY);
    const { bridgeTarget } = await import("../../client/address");
    const { connectAgent } = await import("../../client/agent");
    const target = await bridgeTarget(args.project ?? process.cwd(), args.address);
    const agent = await connectAgent(target, `loom-sub-${process.pid}`, topics);
    let seen = 0;
    const code = await new Promise<number>((resolve, reject) => {
      process.once("SIGINT", () => resolve(EXIT.interrupted));
      // As `nats sub` when its server goes away: said, and an exit, not a wait for nothing (once
      // the count is reached or Ctrl+C came, this promise is settled and the close is not a loss).
      agent.lost.then((why) => reject(new LoomError("PROCESS", `lost the Bridge at ${target.shown}: ${why}`, { hint: "is it still running? `loom status`" })));
      agent.onDelivery(({ topic: pattern, event }) => {
        // The topic it was published on (the embedded Bridge says), as `nats sub` prints the subject; a native Bridge names the pattern.
        const topic = event.metadata?.["loom.topic"] || pattern;
        const payload = event.payload ? Buffer.from(event.payload).toString("utf8") : "";
        const line = args.json ? JSON.stringify({ topic, id: event.id, type: event.type, source: event.source, metadata: event.metadata, payload }) : `${topic}  ${payload}`;
        process.stdout.write(`${line}\n`);
        if (++seen >= count) resolve(EXIT.ok);
      });
    });
    await agent.close();
    return code;
  },
});
