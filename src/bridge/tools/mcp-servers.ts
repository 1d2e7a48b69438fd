/**
 * LOOM_MCP_SERVERS as the runtime reads it (docs/runtime-contract.md), and starting each server in
 * the background. Kept apart from mcp.ts so a Bridge without MCP servers never loads the MCP SDK.
 */
import { ToolFailure, type ToolRegistry } from "./tool-registry";
import { type SandboxPolicy, sandboxedArgv } from "./sandbox";

export interface ServerSpec {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run in the tools' sandbox (`[mcp.<name>] sandbox = true`). */
  sandbox?: boolean;
}

/** How a server asking for the sandbox is run: loom's own executable and the policy (sandbox.ts). */
export interface McpSandbox {
  self: string[];
  policy: SandboxPolicy;
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
export function startMcpServers(servers: [string, ServerSpec][], root: string, registry: ToolRegistry, log: (line: string) => void, sandbox?: McpSandbox): void {
  if (servers.length === 0) return;
  const sdk = import("./mcp");
  for (const [name, spec] of servers) {
    const ready = sdk
      .then((m) => {
        if (spec.sandbox && !sandbox) throw new Error("it asks for the sandbox (sandbox = true), which needs Linux with Landlock; this kernel has none");
        return m.startMcpServer(name, spec.sandbox ? sandboxed(spec, sandbox!) : spec, root, registry, log);
      })
      .catch((e: Error) => {
        log(`mcp ${name}: did not start: ${e.message}`);
        throw new ToolFailure("failed", `MCP server '${name}' did not start: ${e.message}`);
      });
    registry.startingFamily(`${name}:`, ready);
  }
}

function sandboxed(spec: ServerSpec, sandbox: McpSandbox): ServerSpec {
  const [command, ...args] = sandboxedArgv(sandbox.self, sandbox.policy, spec.command, spec.args ?? []);
  return { ...spec, command: command!, args };
}
