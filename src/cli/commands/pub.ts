import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { addressArg, projectArg, secondsArg } from "../shared-args";
import type { CliAgent } from "../../client/agent";

/** Publishes as a request (upstream's SDK's envelope keys) and resolves with the payload of the first event that answers it. */
function requestReply(agent: CliAgent, topic: string, payload: string, replies: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = crypto.randomUUID();
    const timer = setTimeout(
      () => reject(new LoomError("PROCESS", `no reply on ${replies} within ${timeoutMs / 1000} s`, { hint: `is an agent subscribed to ${topic}? \`loom status\`, \`loom logs\`` })),
      timeoutMs,
    );
    agent.onDelivery(({ event }) => {
      const meta = event.metadata ?? {};
      if ((meta["loom.correlation_id"] || meta.correlation_id) !== id) return;
      clearTimeout(timer);
      // An error in answer (the SDK's Context.replyError): said as such, exit 5 like a tool's error.
      const error = meta["loom.error"];
      if (error !== undefined)
        reject(
          new LoomError("PROBLEM", `${meta["loom.sender"] || meta.sender || "the receiver"} failed to handle the request on ${topic}: ${error}`, {
            hint: "its logs say more: `loom logs`",
          }),
        );
      else resolve(Buffer.from(event.payload ?? new Uint8Array()).toString("utf8"));
    });
    agent.publish(topic, payload, { "loom.reply_to": replies, "loom.correlation_id": id, "loom.sender": agent.id });
  });
}

export default loomCommand({
  meta: {
    name: "pub",
    description: "Publish an event to a topic as a CLI agent (the payload is JSON; `-` reads one event per stdin line)",
    examples: ["loom pub market.price.BTC '{\"price\": 97000}'", 'loom pub hello.input \'{"name": "Ada"}\' --reply', "tail -f prices.jsonl | loom pub market.price.BTC -"],
  },
  args: {
    ...projectArg,
    topic: { type: "positional", required: true, description: "Topic to publish to", valueHint: "TOPIC" },
    payload: { type: "positional", required: false, description: "JSON payload, or - for one per stdin line (default {})", valueHint: "JSON|-" },
    ...addressArg,
    reply: { type: "boolean", description: "Publish as a request and print the first reply's payload (exit 4 when none comes within --timeout)" },
    timeout: { type: "string", description: "Seconds to wait for the reply with --reply (default 10)", valueHint: "S" },
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
    const timeout = secondsArg("timeout", args.timeout, 10);
    if (args.reply && args.payload === "-") throw new LoomError("USAGE", "--reply waits for one answer: give the payload on the command line, not -");
    const target = await bridgeTarget(args.project ?? process.cwd(), args.address);
    const id = `loom-pub-${process.pid}`;
    const replies = `agent.${id}.replies`;
    const agent = await connectAgent(target, id, args.reply ? [replies] : []);
    if (args.reply) {
      let answered = false;
      try {
        const text = await requestReply(agent, args.topic, json(args.payload ?? "{}", "the payload"), replies, timeout * 1000);
        answered = true;
        process.stdout.write(`${text}\n`);
      } finally {
        // Answered: the Bridge handled the request, nothing is left to wait for.
        await agent.close(answered);
      }
      return;
    }
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
