/**
 * The TypeScript SDK (`loom:sdk`) against the embedded Bridge of `dist/loom`: agents in this process
 * (the SDK from src/sdk) for request/reply, a declared tool called by another agent, memory, and a
 * runtime restart that loses nothing; then the starter of `loom init` run by loom itself, with no
 * package registry reachable.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "pathe";
import { Agent, ToolCallError, tool, type Envelope } from "../../src/sdk";
import { freePort } from "../../src/net/ports";
import { loom, makeProject, poll, trackProject } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop().catch(() => {});
});

async function bridge(): Promise<{ root: string; address: string }> {
  const root = makeProject([], 'runtime = "embedded"\n');
  const up = await loom(["up", "--detach", ...FREE], root);
  expect(up.code).toBe(0);
  return { root, address: /bridge\s+(\S+)/.exec(up.out)![1]! };
}

function agent(options: ConstructorParameters<typeof Agent>[0]): Agent {
  const a = new Agent({ log: () => {}, ...options });
  agents.push(a);
  return a;
}

describe("the SDK against the embedded Bridge", () => {
  test("request and reply, a tool another agent declares, the Bridge's tools, memory", async () => {
    const { address } = await bridge();
    const responder = agent({
      id: "responder",
      address,
      topics: ["math.double"],
      tools: [
        tool<{ n: number }>({
          name: "math.square",
          description: "n squared",
          parameters: { type: "object", properties: { n: { type: "number" } } },
          handler: ({ n }) => ({ n: n * n }),
        }),
      ],
      async onEvent(ctx, topic, event) {
        if (topic === "math.double") await ctx.reply(event, { type: "math.result", payload: { n: event.json<{ n: number }>().n * 2 } });
      },
    });
    const asker = agent({ id: "asker", address });
    await responder.start();
    await asker.start();

    const answer = await asker.ctx.request("math.double", { type: "math.ask", payload: { n: 21 } });
    expect(answer.json()).toEqual({ n: 42 });
    expect(answer.type).toBe("math.result");
    expect(answer.sender).toBe("responder");
    expect(await asker.ctx.tool("math.square", { n: 7 })).toEqual({ n: 49 });
    expect(((await asker.ctx.tool("fs:list_dir", { path: "." })) as { path: string }).path).toBe(".");
    const missing = await asker.ctx.tool("nobody.has.this").catch((e) => e);
    expect(missing).toBeInstanceOf(ToolCallError);
    expect(missing).toMatchObject({ status: "TOOL_NOT_FOUND", code: "NOT_FOUND" });
    await expect(asker.ctx.request("nobody.listens", { type: "x", timeoutMs: 200 })).rejects.toThrow("no reply to x on nobody.listens within 200 ms");

    await asker.ctx.memory("AppendEvent", { event: { type: "note", content: "remember this" } });
    expect(((await asker.ctx.memory("SummarizeEpisode", {})) as { summary: string }).summary).toContain("note");
  });

  test("a runtime restart (loom restart --runtime) loses nothing either agent sent meanwhile", async () => {
    const { root, address } = await bridge();
    const seen: number[] = [];
    const subscriber = agent({ id: "counter", address, topics: ["count"], onEvent: (_ctx, _topic, e: Envelope) => void seen.push(e.json<number>()) });
    const publisher = agent({ id: "publisher", address });
    await subscriber.start();
    await publisher.start();
    for (let i = 1; i <= 5; i++) await publisher.ctx.emit("count", { type: "n", payload: i });
    await poll("the first five", () => seen.length === 5);

    const restart = loom(["restart", "--runtime"], root);
    await poll("the publisher to notice the Bridge is gone", () => !publisher.connected);
    for (let i = 6; i <= 10; i++) await publisher.ctx.emit("count", { type: "n", payload: i }); // while the Bridge is away
    expect((await restart).code).toBe(0);
    for (let i = 11; i <= 15; i++) await publisher.ctx.emit("count", { type: "n", payload: i }); // right after it is back
    await poll("all fifteen", () => seen.length >= 15);
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(publisher.connected && subscriber.connected).toBe(true);
  });
});

describe("the starter of loom init, run by loom", () => {
  test("answers `loom pub --reply`; importing the SDK fetches nothing, a bare import fails at once", async () => {
    const requests: string[] = [];
    const registry = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req) {
        requests.push(req.url);
        return new Response("no", { status: 404 });
      },
    });
    try {
      const dir = join(tempDir(), "demo");
      expect((await loom(["init", dir], tempDir())).code).toBe(0);
      const toml = join(dir, "loom.toml");
      const text = await Bun.file(toml).text();
      writeFileSync(toml, text.replace('address = "127.0.0.1:50051"', `address = "127.0.0.1:${await freePort("127.0.0.1")}"`).replace("port = 3030", "port = 0"));
      const offline = { BUN_CONFIG_REGISTRY: registry.url.href, NPM_CONFIG_REGISTRY: registry.url.href };
      trackProject(dir);
      expect((await loom(["run", "--detach", "--runtime", "embedded"], dir, offline)).code).toBe(0);
      const answer = await loom(["pub", "hello.input", '{"name": "Ada"}', "--reply"], dir);
      expect(answer.code).toBe(0);
      expect(JSON.parse(answer.out)).toEqual({ text: "Hello, Ada! 1 agent file(s) here answer on the Bridge." });
      // A plain `loom pub` shows the answer where `loom run` prints, and in the agent's log.
      expect((await loom(["pub", "hello.input", '{"name": "Grace"}'], dir)).code).toBe(0);
      await poll("the greeting in hello's log", async () => (await loom(["logs", "hello", "-n", "5"], dir)).out.includes("Hello, Grace!"));
      // An agent importing a package the project does not have: Bun's auto-install is off, so it fails at once.
      writeFileSync(join(dir, "agents/bare.ts"), 'import leftPad from "left-pad";\nconsole.log(leftPad("x", 3));\n');
      await loom(["start", "agents/bare.ts"], dir, offline);
      const logs = await poll("bare.ts to fail", async () => {
        const err = (await loom(["logs", "bare", "-n", "20"], dir)).out;
        return err.includes("Cannot find package 'left-pad'") && err;
      });
      expect(logs).toContain("Cannot find package 'left-pad'");
      expect(requests).toEqual([]); // no registry was asked, for the SDK or for left-pad
    } finally {
      registry.stop(true);
    }
  });
});
