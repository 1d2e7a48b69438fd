import type { BridgeConfig, DashboardConfig, LlmProviderConfig } from "./types";

export const CONFIG_FILE = "loom.toml";
export const DEFAULT_PROJECT_VERSION = "0.1.0";

export const BRIDGE_DEFAULTS: BridgeConfig = {
  address: "127.0.0.1:50051",
  mode: "full",
  version: "latest",
  timeout_sec: 30,
};

export const DASHBOARD_DEFAULTS: DashboardConfig = {
  enabled: true,
  host: "127.0.0.1",
  port: 3030,
};

export const LLM_DEFAULTS: Pick<LlmProviderConfig, "type" | "max_tokens" | "temperature" | "timeout_sec"> = {
  type: "http",
  max_tokens: 2048,
  temperature: 0.7,
  timeout_sec: 30,
};

/** Keys loom knows in each section; used to spot typos, never to drop unknown keys. */
export const KNOWN_KEYS: Record<string, readonly string[]> = {
  "": ["name", "version", "description", "bridge", "dashboard", "llm", "mcp", "agents", "telemetry", "memory"],
  bridge: ["address", "mode", "version", "timeout_sec", "binary", "llm", "runtime", "shell_allow", "tls", "ca_file", "expose", "writable", "shell_network"],
  dashboard: ["enabled", "host", "port"],
  llm: ["type", "base_url", "api_base", "api_key", "model", "max_tokens", "temperature", "timeout_sec", "extra"],
  mcp: ["command", "args", "env", "cwd", "protocol_version", "sandbox"],
  // loom's keys and upstream's common ones; every other key of an agent's table is the agent's own.
  agents: ["script", "command", "enabled", "restart", "replicas", "delivery", "env", "watch", "topics", "llm_provider"],
  memory: ["max_mb"],
  telemetry: ["otlp_endpoint", "otlp_protocol", "traces_mb", "traces_days", "capture_content"],
};
