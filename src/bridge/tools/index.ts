/**
 * The embedded Bridge's tools, as upstream's runtime registers them (docs/runtime-contract.md
 * "Tools"): fs:* in the project directory, system:shell, llm:generate, web:search, weather:get,
 * and each MCP server's tools; and loom's memory:* (memory.ts). On Linux with Landlock, shell commands (and MCP servers that ask)
 * run in the tools' sandbox (sandbox.ts).
 */
import { fsTools, Workspace } from "./fs";
import { selfArgv } from "../../proc/self";
import { protectedFromEnv, writableFromEnv } from "./protect";
import { type SandboxPolicy, sandboxAbi } from "./sandbox";
import { llmTool } from "./llm";
import { parseMcpServers, startMcpServers } from "./mcp-servers";
import { ToolRegistry } from "./tool-registry";
import { shellAllowFromEnv, shellTool } from "./shell";
import { weatherTool } from "./weather";
import { webSearchTool } from "./web";
import { type MemoryHandle, memoryFromEnv } from "../memory-db";
import { memoryTools } from "./memory";

/** `memory`: the memory store the memory:* tools use (bridge/main.ts shares it with the MemoryService); one from `env` by default. */
export function builtinTools(root: string, env: Record<string, string | undefined>, log: (line: string) => void, memory: MemoryHandle = memoryFromEnv(env, log)): ToolRegistry {
  const registry = new ToolRegistry();
  for (const tool of memoryTools(() => memory.get())) registry.register(tool);
  const writable = writableFromEnv(env.LOOM_FS_WRITABLE);
  for (const tool of fsTools(new Workspace(root, protectedFromEnv(env.LOOM_FS_PROTECT), writable))) registry.register(tool);
  const policy: SandboxPolicy = { root, writable, network: env.LOOM_SHELL_NETWORK === "1" };
  const sandbox = sandboxAbi(env) > 0 ? { self: selfArgv(), policy } : undefined;
  registry.register(shellTool(root, shellAllowFromEnv(env.LOOM_SHELL_ALLOW, sandbox !== undefined), { sandbox }));
  registry.register(llmTool(env));
  registry.register(webSearchTool(env));
  registry.register(weatherTool(env));
  startMcpServers(parseMcpServers(env.LOOM_MCP_SERVERS), root, registry, log, sandbox && { ...sandbox, policy: { ...policy, network: true } });
  return registry;
}
