/**
 * The embedded Bridge's tools, as upstream's runtime registers them (docs/runtime-contract.md
 * "Tools"): fs:* in the project directory, system:shell, llm:generate, web:search, weather:get,
 * and each MCP server's tools.
 */
import { fsTools, Workspace } from "./fs";
import { protectedFromEnv } from "./protect";
import { llmTool } from "./llm";
import { parseMcpServers, startMcpServers } from "./mcp-servers";
import { ToolRegistry } from "./registry";
import { shellAllowFromEnv, shellTool } from "./shell";
import { weatherTool } from "./weather";
import { webSearchTool } from "./web";

export function builtinTools(root: string, env: Record<string, string | undefined>, log: (line: string) => void): ToolRegistry {
  const registry = new ToolRegistry();
  for (const tool of fsTools(new Workspace(root, protectedFromEnv(env.LOOM_FS_PROTECT)))) registry.register(tool);
  registry.register(shellTool(root, shellAllowFromEnv(env.LOOM_SHELL_ALLOW)));
  registry.register(llmTool(env));
  registry.register(webSearchTool(env));
  registry.register(weatherTool(env));
  startMcpServers(parseMcpServers(env.LOOM_MCP_SERVERS), root, registry, log);
  return registry;
}
