/**
 * Each built-in tool's declared JSON Schema is the one its arguments are checked against: a call
 * the schema refuses is INVALID_ARGUMENTS before the tool runs (nothing written, nothing spawned,
 * nothing fetched), with upstream's wording where it has one.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "pathe";
import { builtinTools } from "../../src/bridge/tools";
import { tempDir } from "../helpers/tmp";

function registry() {
  const root = tempDir();
  // Endpoints nobody listens on: a tool that ran anyway would fail with EXECUTION_ERROR instead.
  const env = { LOOM_SHELL_ALLOW: '["touch"]', BRAVE_API_KEY: "k", LOOM_WEB_SEARCH_URL: "http://127.0.0.1:9/", VLLM_BASE_URL: "http://127.0.0.1:9/v1" };
  return { root, tools: builtinTools(root, env, () => {}) };
}

const refusal = async (name: string, args: unknown) => {
  const { tools, root } = registry();
  const result = await tools.call("1", name, JSON.stringify(args));
  return { status: result.status, code: result.error?.code, message: result.error?.message, root };
};

describe("tool arguments: the declared schema is enforced", () => {
  test("every built-in tool declares an object schema whose required fields it refuses to go without", async () => {
    const { tools } = registry();
    expect([...tools.tools.keys()].sort()).toEqual([
      "fs:delete",
      "fs:list_dir",
      "fs:read_file",
      "fs:write_file",
      "llm:generate",
      "memory:append",
      "memory:delete",
      "memory:get",
      "memory:history",
      "memory:search",
      "memory:set",
      "system:shell",
      "weather:get",
      "web:search",
    ]);
    for (const tool of tools.tools.values()) {
      const schema = tool.parameters as { type: string; properties: Record<string, { description?: string }>; required?: string[]; $schema?: string };
      expect({ name: tool.name, type: schema.type, $schema: schema.$schema }).toEqual({ name: tool.name, type: "object", $schema: undefined });
      for (const [field, property] of Object.entries(schema.properties))
        expect({ tool: tool.name, field, described: Boolean(property.description) }).toMatchObject({ described: true });
      for (const field of schema.required ?? []) {
        const result = await tools.call("1", tool.name, JSON.stringify({}));
        expect({ tool: tool.name, field, status: result.status, code: result.error?.code }).toEqual({
          tool: tool.name,
          field,
          status: "TOOL_INVALID_ARGUMENTS",
          code: "INVALID_ARGUMENTS",
        });
      }
    }
    expect((tools.tools.get("fs:write_file")!.parameters as { required: string[] }).required).toEqual(["path", "content"]);
    expect((tools.tools.get("fs:list_dir")!.parameters as { required?: string[] }).required).toBeUndefined();
  });

  test("upstream's wording for a missing argument", async () => {
    expect((await refusal("fs:read_file", {})).message).toBe("Invalid arguments: Missing 'path' argument");
    expect((await refusal("fs:read_file", { path: "" })).message).toBe("Invalid arguments: Missing 'path' argument");
    expect((await refusal("fs:write_file", { path: "a.txt" })).message).toBe("Invalid arguments: Missing 'content' argument");
    expect((await refusal("system:shell", {})).message).toBe("Invalid arguments: Missing 'command'");
    expect((await refusal("web:search", {})).message).toBe("Invalid arguments: Missing 'query'");
    expect((await refusal("weather:get", { location: 7 })).message).toBe("Invalid arguments: Missing 'location'");
    expect((await refusal("llm:generate", { bundle: { instructions: "hi" } })).message).toBe("Invalid arguments: missing field `input`");
  });

  test("a wrong type is refused before the tool runs: nothing is written or spawned", async () => {
    const write = await refusal("fs:write_file", { path: "a.txt", content: 5 });
    expect(write.code).toBe("INVALID_ARGUMENTS");
    expect(existsSync(join(write.root, "a.txt"))).toBe(false);
    const shell = await refusal("system:shell", { command: "touch", args: ["made", 1] });
    expect(shell.message).toBe("Invalid arguments: 'args' must be an array of strings");
    expect(existsSync(join(shell.root, "made"))).toBe(false);
    expect((await refusal("web:search", { query: "q", limit: "5" })).message).toContain("'limit' must be a whole number");
    expect((await refusal("web:search", { query: "q", limit: 0 })).message).toContain("'limit' must be above 0");
    expect((await refusal("llm:generate", { input: "x", bundle: { system: 3 } })).message).toBe(
      "Invalid arguments: 'bundle.system': Invalid input: expected string, received number",
    );
  });

  test("fields the schema does not name are ignored, as upstream's tools ignore them", async () => {
    const { tools, root } = registry();
    const result = await tools.call("1", "fs:write_file", JSON.stringify({ path: "workspace/a.txt", content: "x", mode: "append" }));
    expect(result.status).toBe("TOOL_OK");
    expect(existsSync(join(root, "workspace/a.txt"))).toBe(true);
    expect(JSON.parse((await tools.call("2", "fs:list_dir", "")).output).path).toBe(".");
  });
});
