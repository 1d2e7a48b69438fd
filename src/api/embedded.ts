/**
 * `startEmbeddedBridge()`: loom's Bridge in this very process (no child process, no supervisor),
 * for tests and tools that want a Bridge to talk to: the Bridge protocol, MemoryService and the
 * built-in tools working in `root`, on a loopback TCP port (only this user's connections are
 * accepted, as for `loom __bridge`), optionally with the dashboard. Ready when returned.
 */
import { isIP } from "node:net";
import { serveDashboard } from "../bridge/dashboard/server";
import { EmbeddedBridge } from "../bridge/server";
import { builtinTools } from "../bridge/tools";
import { LoomError } from "../errors";
import { joinHostPort, parseAddress } from "../net/address";

export interface EmbeddedBridgeOptions {
  /** An IP literal and port; "127.0.0.1:0" (a free port) by default. */
  address?: string;
  /** The fs:* tools' workspace and system:shell's directory; the current directory by default. */
  root?: string;
  /** Serve the dashboard and its page too, on this port (0: a free one). */
  dashboardPort?: number;
  /** The tools' settings (LOOM_SHELL_ALLOW, VLLM_*, BRAVE_API_KEY, LOOM_MCP_SERVERS, ...). */
  env?: Record<string, string | undefined>;
  /** Where the Bridge says what it refused or what its MCP servers printed. */
  log?: (line: string) => void;
  /** Agent ids whose streams share the work (`delivery = "shared"`): each event to one of them, in turn. */
  sharedAgents?: string[];
}

export interface EmbeddedBridgeHandle {
  /** host:port to give agents (LOOM_BRIDGE_ADDR). */
  address: string;
  port: number;
  dashboard?: string;
  stop(): void;
}

export async function startEmbeddedBridge(options: EmbeddedBridgeOptions = {}): Promise<EmbeddedBridgeHandle> {
  const given = options.address ?? "127.0.0.1:0";
  const parsed = parseAddress(given);
  if (parsed?.kind !== "tcp" || !isIP(parsed.host)) throw new LoomError("USAGE", `startEmbeddedBridge: address ${JSON.stringify(given)} must be an IP address and port`);
  const root = options.root ?? process.cwd();
  const env = options.env ?? {};
  const log = options.log ?? (() => {});
  const bridge = new EmbeddedBridge(builtinTools(root, env, log), options.sharedAgents);
  const port = await bridge.listen({ tcp: parsed, onRefused: (who) => log(`refused a connection from ${who}`) });
  const dash = options.dashboardPort === undefined ? undefined : serveDashboard(bridge, { host: parsed.host, port: options.dashboardPort, env, root });
  return {
    address: joinHostPort(parsed.host, port),
    port,
    dashboard: dash ? `http://${dash.hostname}:${dash.port}` : undefined,
    stop() {
      void dash?.stop(true);
      bridge.close();
    },
  };
}
