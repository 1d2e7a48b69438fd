import { describe, expect, test } from "bun:test";
import { ToolRegistry } from "../../src/bridge/tools/tool-registry";

const echo = { name: "t:echo", description: "", parameters: {}, call: async (args: Record<string, unknown>) => args };

describe("the tool registry", () => {
  test("statuses: OK with JSON output, empty arguments are {}, not-an-object is INVALID_ARGUMENTS, unknown is NOT_FOUND", async () => {
    const r = new ToolRegistry();
    r.register(echo);
    expect(await r.call("1", "t:echo", '{"a": 1}')).toEqual({ id: "1", status: "TOOL_OK", output: '{"a":1}', error: null });
    expect((await r.call("2", "t:echo", "")).output).toBe("{}");
    expect(await r.call("3", "t:echo", "[1]")).toMatchObject({ status: "TOOL_INVALID_ARGUMENTS", error: { code: "INVALID_ARGUMENTS" } });
    expect(await r.call("4", "t:echo", "{nope")).toMatchObject({ status: "TOOL_INVALID_ARGUMENTS" });
    expect(await r.call("5", "x:y", "{}")).toMatchObject({ status: "TOOL_NOT_FOUND", error: { code: "NOT_FOUND", message: "Tool not found: x:y" } });
  });

  test("a tool past its deadline is TIMEOUT and its signal aborts; a thrown error is EXECUTION_ERROR", async () => {
    const r = new ToolRegistry();
    let aborted = false;
    r.register({
      name: "t:slow",
      description: "",
      parameters: {},
      call: (_a, signal) =>
        new Promise((resolve) =>
          signal.addEventListener("abort", () => {
            aborted = true;
            resolve(null);
          }),
        ),
    });
    r.register({
      name: "t:bad",
      description: "",
      parameters: {},
      call: async () => {
        throw new Error("boom");
      },
    });
    expect(await r.call("1", "t:slow", "{}", 20)).toMatchObject({ status: "TOOL_TIMEOUT", error: { code: "TIMEOUT", message: "Timeout" } });
    expect(aborted).toBe(true);
    expect(await r.call("2", "t:bad", "{}")).toMatchObject({ status: "TOOL_ERROR", error: { code: "EXECUTION_ERROR", message: "Execution failed: boom" } });
  });

  test("a family still starting: a call waits for it, within its deadline; a family that failed says why", async () => {
    const r = new ToolRegistry();
    const started = Promise.withResolvers<void>();
    r.startingFamily("srv:", started.promise);
    expect(r.serves("srv:anything")).toBe(true);
    expect(await r.call("1", "srv:echo", "{}", 20)).toMatchObject({ status: "TOOL_TIMEOUT" });
    const waiting = r.call("2", "srv:echo", '{"b": 2}', 5_000);
    r.register({ ...echo, name: "srv:echo" });
    started.resolve();
    expect(await waiting).toMatchObject({ status: "TOOL_OK", output: '{"b":2}' });

    r.startingFamily("dead:", Promise.reject(new Error("MCP server 'dead' did not start: ENOENT")));
    await Bun.sleep(0);
    expect(await r.call("3", "dead:x", "{}")).toMatchObject({ status: "TOOL_ERROR", error: { message: "Execution failed: MCP server 'dead' did not start: ENOENT" } });
  });
});
