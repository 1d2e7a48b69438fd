/**
 * Memory an LLM app uses, through dist/loom: a TypeScript agent (typed ctx.memory) and a Python
 * agent (the memory:* tools over the Bridge protocol, as upstream's `ctx.tool`) write and read one
 * store; it outlives `loom restart --runtime` and `loom down` / `loom run`; `loom memory` lists,
 * shows, searches, exports and clears it; upstream's MemoryService keeps its sessions in it too;
 * a store loom cannot trust is refused by name and left as it was.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { DEBIAN_PYTHON, makePythonStubs, pythonGrpcReady } from "../../scripts/python-stubs";
import { AGENTS_DIR, loom, makeProject, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
/** Remembers each chat.in message and its answer, finds earlier ones by text, keeps a counter with compare-and-set. */
const SCRIBE = `import { Agent } from "loom:sdk";
await new Agent({
  id: "scribe",
  topics: ["chat.in"],
  async onEvent(ctx, topic, event) {
    const { text } = event.json<{ text: string }>();
    await ctx.memory.append({ thread: "ts-chat", role: "user", content: text });
    const earlier = await ctx.memory.search(text.split(" ")[0]!, { thread: "ts-chat" });
    const { value, version } = await ctx.memory.get<number>("count");
    await ctx.memory.set("count", (value ?? 0) + 1, { ifVersion: version });
    await ctx.memory.append({ thread: "ts-chat", role: "assistant", content: { seen: earlier.length } });
    await ctx.reply(event, { type: "chat.out", payload: { seen: earlier.length, count: (value ?? 0) + 1 } });
  },
}).run();
`;

async function say(root: string, text: string): Promise<{ seen: number; count: number }> {
  const r = await loom(["pub", "chat.in", JSON.stringify({ text }), "--reply"], root);
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

describe("the memory store", () => {
  test.skipIf(!pythonGrpcReady())("TypeScript and Python agents share it; it outlives the runtime's restart and the next loom run; loom memory reads it", async () => {
    const stubs = makePythonStubs(tempDir());
    const toml = `runtime = "embedded"\n[agents.memo]\ncommand = ["${DEBIAN_PYTHON}", "${join(AGENTS_DIR, "memory_client.py")}"]\nenv = { PYTHONPATH = "${stubs}" }\nrestart = "never"\nenabled = false\n`;
    const root = makeProject([], toml, { "agents/scribe.ts": SCRIBE });
    expect((await loom(["run", "--detach", "--wait-agents", ...FREE], root)).code).toBe(0);
    try {
      expect(await say(root, "Crème brûlée recipe please")).toEqual({ seen: 1, count: 1 });
      expect(await say(root, "Crème caramel instead")).toEqual({ seen: 2, count: 2 }); // "creme" finds both, accents folded
      expect((await loom(["restart", "--runtime"], root)).code).toBe(0);
      await poll("scribe connected again", async () => {
        const { dashboard } = JSON.parse((await loom(["status", "--json"], root)).out) as { dashboard: string };
        const { agents } = (await (await fetch(`${dashboard}/api/topology`)).json()) as { agents: { id: string; connected: boolean }[] };
        return agents.some((a) => a.id === "scribe" && a.connected);
      });
      expect(await say(root, "Crème anglaise")).toEqual({ seen: 3, count: 3 }); // kept across the Bridge's restart
      expect((await loom(["down"], root)).code).toBe(0);

      // The Python agent, in the next run: it reads what TypeScript wrote, and adds its own.
      writeFileSync(join(root, "loom.toml"), readFileSync(join(root, "loom.toml"), "utf8").replace("enabled = false\n", ""));
      expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
      await poll("the Python agent's results", () => existsSync(join(root, "memory.json")), 20_000);
      const py = JSON.parse(readFileSync(join(root, "memory.json"), "utf8"));
      expect(py.history.entries.map((e: { role: string }) => e.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant"]);
      expect(py.history.entries[0]).toMatchObject({ thread: "ts-chat", role: "user", content: "Crème brûlée recipe please", agent: "scribe" });
      expect(py.history.entries[1].content).toEqual({ seen: 1 });
      expect(py.search.results[0]).toMatchObject({ thread: "py-chat", content: "Grüße aus Köln: the invoice is overdue", agent: "py" });
      expect(py.set).toEqual({ key: "cursor", version: 1 });
      expect(py.cas_lost).toMatchObject({ status: "TOOL_ERROR", error: expect.stringContaining("if_version 0 does not match: cursor is at version 1") });
      expect(py.get).toMatchObject({ value: { page: 2 }, version: 1, found: true });

      // loom memory, while it runs and after.
      const listed = JSON.parse((await loom(["memory", "list", "--json"], root)).out) as { thread: string; entries: number }[];
      expect(Object.fromEntries(listed.map((t) => [t.thread, t.entries]))).toEqual({ "ts-chat": 6, "py-chat": 2 });
      expect((await loom(["memory", "show", "py-chat"], root)).out).toMatch(/assistant +py +\{"answer":"Paid on Friday","confidence":0\.9\}/);
      expect((await loom(["memory", "search", "KOLN"], root)).out).toContain("[Köln]"); // case and accents folded
      expect((await loom(["down"], root)).code).toBe(0);
      const exported = JSON.parse((await loom(["memory", "export"], root)).out) as { entries: unknown[]; state: { scope: string; key: string; value: unknown }[] };
      expect(exported.entries).toHaveLength(8);
      expect(exported.state).toEqual(expect.arrayContaining([expect.objectContaining({ scope: "agent:scribe", key: "count", value: 3 })]));
      expect((await loom(["memory", "clear", "--thread", "py-chat"], root)).code).toBe(0);
      expect(JSON.parse((await loom(["memory", "list", "--json"], root)).out)).toHaveLength(1);
    } finally {
      await loom(["down"], root);
    }
  });

  test("upstream's MemoryService keeps its sessions across the runtime's restart; a store another user may write is refused by name, the file untouched", async () => {
    const root = makeProject([], 'runtime = "embedded"\n');
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    try {
      const { bridge } = JSON.parse((await loom(["status", "--json"], root)).out) as { bridge: string };
      const { loomV1, unaryByName } = await import("../../src/protocol/services");
      const grpc = await import("@grpc/grpc-js");
      const call = async (method: string, req: object) => {
        const { MemoryService } = loomV1();
        const client = new MemoryService(bridge, grpc.credentials.createInsecure());
        try {
          return await unaryByName(client, MemoryService.service, method, req);
        } finally {
          client.close();
        }
      };
      await call("AppendEvent", { session_id: "s1", event: { id: "e1", type: "task.done", source: "planner", timestamp_ms: 7 } });
      await poll("the session saved", async () => (await loom(["memory", "export"], root)).out.includes("memoryservice"), 5_000);
      expect((await loom(["restart", "--runtime"], root)).code).toBe(0);
      const after = JSON.parse((await loom(["status", "--json"], root)).out) as { bridge: string };
      expect(after.bridge).toBe(bridge);
      expect((await call("Retrieve", { session_id: "s1", query: "task.done", k: 5 })).results).toEqual(["[7] task.done from planner"]);
      expect((await loom(["down"], root)).code).toBe(0);

      const db = join(root, ".loom/memory.db");
      chmodSync(db, 0o666);
      const before = readFileSync(db);
      expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
      const refused = await loom(["call", "memory:history", '{"thread": "x"}'], root);
      expect(refused.code).toBe(5);
      expect(refused.err).toContain("the memory store is unavailable: the memory store");
      expect(refused.err).toContain("memory.db cannot be trusted");
      expect(readFileSync(join(root, ".loom/logs/core.err"), "utf8")).toContain("memory.db cannot be trusted");
      expect((await loom(["down"], root)).code).toBe(0);
      expect(readFileSync(db).equals(before)).toBe(true);
      expect((await loom(["memory", "list"], root)).err).toContain("cannot be trusted");
    } finally {
      await loom(["down"], root);
    }
  });
});
