/**
 * Tools and requests keep their contracts, through dist/loom: a declared tool's JSON Schema is
 * enforced before its handler runs (by the Bridge, and by the SDK against a Bridge that does not),
 * and a handler that throws on a request answers the requester at once with the error.
 */
import { describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { connectAgent } from "../../src/client/agent";
import { loom, makeProject, poll } from "../helpers/runtime";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const AGENT = `import { Agent, tool } from "loom:sdk";
const summarize = tool({
  name: "facts:summarize",
  parameters: { type: "object", properties: { facts: { type: "array", items: { type: "string" } } }, required: ["facts"] },
  handler(args: { facts: string[] }) {
    console.log("handler reached");
    return { count: args.facts.map((f) => f.length).length };
  },
});
await new Agent({
  id: "strict",
  topics: ["strict.ask"],
  tools: [summarize],
  async onEvent() {
    throw new Error("the model returned garbage");
  },
}).run();
`;

describe("contracts", () => {
  test("a call its schema refuses never reaches the handler; a throwing handler answers its request at once", async () => {
    const root = makeProject([], 'runtime = "embedded"\n', { "agents/strict.ts": AGENT });
    expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root)).code).toBe(0);
    try {
      const refused = await loom(["call", "facts:summarize", "{}"], root);
      expect(refused.code).toBe(5);
      expect(refused.err).toContain("TOOL_INVALID_ARGUMENTS");
      expect(refused.err).toContain('Instance does not have required property "facts"');
      const wrongType = await loom(["call", "facts:summarize", '{"facts": [1]}'], root);
      expect(wrongType.err).toMatch(/'facts\/0': Instance type "number" is invalid\. Expected "string"/);
      const ok = await loom(["call", "facts:summarize", '{"facts": ["a", "b"]}'], root);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.out)).toEqual({ count: 2 });
      const log = (await loom(["logs", "strict"], root)).out;
      expect(log.split("handler reached").length - 1).toBe(1); // only the valid call

      // The request's error comes back as such, not as a 10 s silence and "is an agent subscribed?".
      const asked = await loom(["pub", "strict.ask", "{}", "--reply"], root);
      expect(asked.code).toBe(5);
      expect(asked.err).toContain("strict failed to handle the request on strict.ask: the model returned garbage");
      expect(asked.err).not.toContain("is an agent subscribed");
      const { bridge } = JSON.parse((await loom(["status", "--json"], root)).out) as { bridge: string };
      const client = await connectAgent({ address: bridge, shown: bridge }, "asker", ["agent.asker.replies"]);
      const answers: { at: number; meta: Record<string, string> }[] = [];
      client.onDelivery((d) => answers.push({ at: performance.now(), meta: d.event.metadata ?? {} }));
      // A plain event first: its handler throws too, but no answer is due (it would arrive before the request's).
      client.publish("strict.ask", "{}");
      const sent = performance.now();
      const request = randomUUID();
      client.publish("strict.ask", "{}", { "loom.reply_to": "agent.asker.replies", "loom.correlation_id": request });
      const answer = await poll("the error answer", () => answers[0]);
      expect(answer.meta["loom.correlation_id"]).toBe(request);
      expect(answer.meta["loom.error"]).toBe("the model returned garbage");
      console.log(`error answer after ${(answer.at - sent).toFixed(1)} ms`);
      expect(answer.at - sent).toBeLessThan(1_000); // measured ~5 ms; the requester's timeout was 10 s
      await client.close();
    } finally {
      await loom(["down"], root);
    }
  });
});
