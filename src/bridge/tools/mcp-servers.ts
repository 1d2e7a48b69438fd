/**
 * LOOM_MCP_SERVERS as the runtime reads it (docs/runtime-contract.md), and starting each server in
 * the background. Kept apart from mcp.ts so a Bridge without MCP servers never loads the MCP SDK.
 */
import { ToolFailure, type ToolRegistry } from "./registry";

export interface ServerSpec {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** LOOM_MCP_SERVERS: an object keyed by server name, or an array of servers with a `name`. */
export function parseMcpServers(value: string | undefined): [string, ServerSpec][] {
  if (!value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error("LOOM_MCP_SERVERS is not JSON");
  }
  const entries = Array.isArray(parsed) ? parsed.map((s, i) => [String(s?.name ?? `mcp${i}`), s] as const) : Object.entries((parsed ?? {}) as Record<string, unknown>);
  return entries.filter(([, s]) => s && typeof (s as ServerSpec).command === "string") as [string, ServerSpec][];
}

/** Starts each server in the background; their tools appear in `registry` as each is ready. */
export function startMcpServers(servers: [string, ServerSpec][], root: string, registry: ToolRegistry, log: (line: string) => void): void {
  if (servers.length === 0) return;
  const sdk = import("./mcp");
  for (const [name, spec] of servers) {
    const ready = sdk
      .then((m) => m.startMcpServer(name, spec, root, registry, log))
      .catch((e: Error) => {
        log(`mcp ${name}: did not start: ${e.message}`);
        throw new ToolFailure("failed", `MCP server '${name}' did not start: ${e.message}`);
      });
    registry.startingFamily(`${name}:`, ready);
  }
}
