/**
 * Every MCP server of LOOM_MCP_SERVERS (`[mcp.*]` in loom.toml) as tools `<server>:<tool>`, through
 * the official MCP TypeScript SDK's stdio client. Unlike upstream (which starts every server before
 * it listens), servers start in the background so the Bridge is ready at once; a call to a server
 * still starting waits for it, bounded by the call's deadline. A server that fails to start makes
 * its tools' calls fail with the reason. Its stderr goes to the Bridge's log, one prefixed line
 * each. The protocol version is the SDK's negotiation (it offers its latest and accepts the
 * server's); `protocol_version` is not used.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { resolve } from "pathe";
import { LOOM_VERSION } from "../../version";
import type { ServerSpec } from "./mcp-servers";
import { ToolFailure, type ToolRegistry } from "./tool-registry";

function text(content: unknown): string {
  return Array.isArray(content) ? content.map((c) => (c?.type === "text" ? c.text : JSON.stringify(c))).join("\n") : "";
}

export async function startMcpServer(name: string, spec: ServerSpec, root: string, registry: ToolRegistry, log: (line: string) => void): Promise<Client> {
  const transport = new StdioClientTransport({ command: spec.command, args: spec.args ?? [], env: spec.env, cwd: resolve(root, spec.cwd ?? "."), stderr: "pipe" });
  let partial = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) log(`mcp ${name}: ${line}`);
  });
  const client = new Client({ name: "loom-embedded-bridge", version: LOOM_VERSION });
  await client.connect(transport);
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined);
    for (const tool of page.tools) {
      registry.register({
        name: `${name}:${tool.name}`,
        description: tool.description ?? "",
        parameters: tool.inputSchema,
        async call(args, signal) {
          const result = await client.callTool({ name: tool.name, arguments: args }, undefined, { signal, timeout: 2 ** 31 - 1 }).catch((e: Error) => {
            throw new ToolFailure("failed", `MCP call failed: ${e.message}`);
          });
          if (result.isError) throw new ToolFailure("failed", `MCP tool ${name}:${tool.name} answered an error: ${text(result.content)}`);
          return result.content;
        },
      });
    }
    cursor = page.nextCursor;
  } while (cursor);
  log(`mcp ${name}: ready`);
  return client;
}
