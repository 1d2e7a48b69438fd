/**
 * The environment handed to the runtime and the agents (docs/runtime-contract.md "Environment it
 * reads"). The runtime reads LOOM_BRIDGE_ADDR, LOOM_DASHBOARD*, LOOM_MCP_SERVERS, VLLM_* and
 * REQUEST_TIMEOUT_MS; agents read LOOM_BRIDGE_ADDR and OTEL_*. Nothing reads LOOM_LLM_*.
 */
import { sharedAgentIds } from "../replicas";
import { shellAllowList } from "../shell";
import type { LlmProviderConfig, LoomConfig } from "../types";

export const OTEL_DEFAULTS = {
  OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4317",
  OTEL_SERVICE_NAME: "loom-runtime",
  OTEL_TRACE_SAMPLER: "always_on",
} as const;

/** The provider the runtime's `llm:generate` uses: `[bridge] llm`, else the first `[llm.*]`. */
export function chosenProvider(config: LoomConfig): [string, LlmProviderConfig] | undefined {
  const entries = Object.entries(config.llm);
  return config.bridge.llm !== undefined ? entries.find(([n]) => n === config.bridge.llm) : entries[0];
}

/** What the runtime reads of a provider, as the runtime names it. */
function vllmVars(p: LlmProviderConfig): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.base_url) out.VLLM_BASE_URL = p.base_url;
  if (p.model) out.VLLM_MODEL = p.model;
  if (p.api_key) out.VLLM_API_KEY = p.api_key;
  if (typeof p.temperature === "number") out.VLLM_TEMPERATURE = String(p.temperature);
  if (typeof p.timeout_sec === "number") out.REQUEST_TIMEOUT_MS = String(Math.round(p.timeout_sec * 1000));
  return out;
}

/** LOOM_MCP_SERVERS: every field the runtime accepts, keyed by server name. */
function mcpServers(config: LoomConfig): string | undefined {
  const servers = Object.entries(config.mcp);
  if (servers.length === 0) return undefined;
  const json: Record<string, Record<string, unknown>> = {};
  for (const [name, s] of servers)
    json[name] = {
      command: s.command,
      args: s.args,
      env: s.env,
      ...(s.cwd !== undefined ? { cwd: s.cwd } : {}),
      ...(s.protocol_version !== undefined ? { protocol_version: s.protocol_version } : {}),
      ...(s.sandbox ? { sandbox: true } : {}),
    };
  return JSON.stringify(json);
}

/**
 * The collector the embedded Bridge forwards to: `[telemetry]`, else the user's own
 * OTEL_EXPORTER_OTLP_ENDPOINT (the agents are pointed at loom's receiver instead, and loom passes
 * everything on). Without a protocol, a URL on port 4317 is OTLP/gRPC's and any other HTTP/protobuf.
 */
function collector(config: LoomConfig, userEnv: Record<string, string | undefined>): Record<string, string> {
  const endpoint = config.telemetry?.otlp_endpoint ?? userEnv.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? userEnv.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return {};
  const named = config.telemetry?.otlp_protocol ?? userEnv.OTEL_EXPORTER_OTLP_PROTOCOL;
  return { LOOM_OTLP_ENDPOINT: endpoint, LOOM_OTLP_PROTOCOL: named ?? (URL.parse(endpoint)?.port === "4317" ? "grpc" : "http/protobuf") };
}

/** What both the runtime and the agents get. */
function sharedVars(config: LoomConfig, userEnv: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {
    LOOM_BRIDGE_ADDR: config.bridge.address,
    LOOM_DASHBOARD: String(config.bridge.mode === "full" && config.dashboard.enabled),
    LOOM_DASHBOARD_HOST: config.dashboard.host,
    LOOM_DASHBOARD_PORT: String(config.dashboard.port),
  };
  for (const [key, value] of Object.entries(OTEL_DEFAULTS)) if (!userEnv[key]) env[key] = value;
  return env;
}

/**
 * The runtime's variables. `userEnv` is the environment the user already has: a VLLM_*, OTEL_* or
 * REQUEST_TIMEOUT_MS value set there wins over loom's (and so is left out here).
 */
export function toEnvVars(config: LoomConfig, userEnv: Record<string, string | undefined> = {}): Record<string, string> {
  const env = sharedVars(config, userEnv);
  const mcp = mcpServers(config);
  if (mcp) env.LOOM_MCP_SERVERS = mcp;
  // Read only by the embedded Bridge; the native runtime ignores them.
  if (config.bridge.shell_allow) env.LOOM_SHELL_ALLOW = JSON.stringify(shellAllowList(config.bridge.shell_allow));
  if (config.bridge.writable) env.LOOM_FS_WRITABLE = JSON.stringify(config.bridge.writable);
  Object.assign(env, collector(config, userEnv));
  if (config.memory?.max_mb !== undefined) env.LOOM_MEMORY_MAX_BYTES = String(Math.round(config.memory.max_mb * 1024 * 1024));
  const t = config.telemetry;
  if (t?.traces_mb !== undefined) env.LOOM_TRACES_MAX_BYTES = String(Math.round(t.traces_mb * 1024 * 1024));
  if (t?.capture_content) env.LOOM_TRACE_CONTENT = "1";
  if (t?.traces_days !== undefined) env.LOOM_TRACES_MAX_AGE_MS = String(Math.round(t.traces_days * 86_400_000));
  if (config.bridge.shell_network) env.LOOM_SHELL_NETWORK = "1";
  if (config.bridge.expose) env.LOOM_BRIDGE_EXPOSE = "1";
  const shared = sharedAgentIds(config);
  if (shared.length) env.LOOM_SHARED_AGENTS = JSON.stringify(shared);
  const provider = chosenProvider(config);
  if (provider) for (const [key, value] of Object.entries(vllmVars(provider[1]))) if (!userEnv[key]) env[key] = value;
  return env;
}

/** What an agent gets: the Bridge's address and telemetry, never the runtime's MCP or LLM secrets. */
export function agentEnvVars(config: LoomConfig, userEnv: Record<string, string | undefined>, agentName: string): Record<string, string> {
  return { ...sharedVars(config, userEnv), LOOM_AGENT_NAME: agentName, OTEL_SERVICE_NAME: `agent-${agentName}` };
}
