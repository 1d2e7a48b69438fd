/** The environment handed to the runtime and the agents (../shared/RUNTIME-CONTRACT.md). */
import type { LoomConfig } from "./types";

export const OTEL_DEFAULTS = {
  OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4317",
  OTEL_SERVICE_NAME: "loom-runtime",
  OTEL_TRACE_SAMPLER: "always_on",
} as const;

/**
 * The LOOM_* and OTEL_* variables for the runtime. `userEnv` is the environment the user already
 * has: an OTEL value set there wins over loom's default (and so is left out here).
 */
export function toEnvVars(config: LoomConfig, userEnv: Record<string, string | undefined> = {}): Record<string, string> {
  const full = config.bridge.mode === "full";
  const env: Record<string, string> = {
    LOOM_BRIDGE_ADDR: config.bridge.address,
    LOOM_DASHBOARD: String(full && config.dashboard.enabled),
    LOOM_DASHBOARD_HOST: config.dashboard.host,
    LOOM_DASHBOARD_PORT: String(config.dashboard.port),
  };
  const servers = Object.entries(config.mcp);
  if (servers.length > 0) {
    const json: Record<string, { command: string; args: string[]; env: Record<string, string> }> = {};
    for (const [name, s] of servers) json[name] = { command: s.command, args: s.args, env: s.env };
    env.LOOM_MCP_SERVERS = JSON.stringify(json);
  }
  const first = Object.values(config.llm)[0];
  if (first?.api_key) env.LOOM_LLM_API_KEY = first.api_key;
  if (first?.base_url) env.LOOM_LLM_API_BASE = first.base_url;
  if (first?.model) env.LOOM_LLM_MODEL = first.model;
  for (const [key, value] of Object.entries(OTEL_DEFAULTS)) if (!userEnv[key]) env[key] = value;
  return env;
}

/** What an agent gets on top of the runtime's variables. */
export function agentEnvVars(runtimeEnv: Record<string, string>, agentName: string): Record<string, string> {
  return { ...runtimeEnv, LOOM_AGENT_NAME: agentName, OTEL_SERVICE_NAME: `agent-${agentName}` };
}
