/** The shape of loom.toml after defaults are filled in. Keys are the loom.toml key names. */

export type BridgeMode = "full" | "bridge-only";
export type RuntimeChoice = "auto" | "native" | "embedded" | "remote";
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ["auto", "native", "embedded", "remote"];
export const BRIDGE_MODES: readonly BridgeMode[] = ["full", "bridge-only"];

export interface BridgeConfig {
  address: string;
  mode: BridgeMode;
  /** Runtime version: "latest", "0.1.0" or "v0.1.0". */
  version: string;
  timeout_sec: number;
  /** Runtime binary name, when not the mode's (loom-core / loom-bridge), e.g. "loom-bridge-server". */
  binary?: string;
  /** Which runtime runs: a native binary, the Bridge inside loom, or native when one can be had ("auto"). */
  runtime?: RuntimeChoice;
  /** The [llm.*] provider the runtime's llm:generate uses (VLLM_*); the first one when absent. */
  llm?: string;
  /** Remote mode: speak TLS to the Bridge (also when `address` is https://...); `ca_file` to trust another CA. */
  tls?: boolean;
  ca_file?: string;
  /**
   * Listen on a non-loopback address (bridge or dashboard) on purpose: other hosts can connect,
   * without TLS (LOOM_BRIDGE_EXPOSE). Other local users are still refused by the embedded Bridge.
   */
  expose?: boolean;
  /** Commands the embedded Bridge's `system:shell` tool may run (LOOM_SHELL_ALLOW); "upstream" is upstream's list (config/shell.ts). */
  shell_allow?: string[] | "upstream";
  /** Project-relative directories the embedded Bridge's tools may write (LOOM_FS_WRITABLE); default ["workspace"]. */
  writable?: string[];
  /** Whether sandboxed tool commands may open TCP connections (LOOM_SHELL_NETWORK); default false. */
  shell_network?: boolean;
  [key: string]: unknown;
}

export interface DashboardConfig {
  enabled: boolean;
  host: string;
  port: number;
  [key: string]: unknown;
}

export interface LlmProviderConfig {
  type: string;
  /** Also read from the older key `api_base`. */
  base_url?: string;
  api_key?: string;
  model?: string;
  max_tokens: number;
  temperature: number;
  timeout_sec: number;
  extra: Record<string, unknown>;
  [key: string]: unknown;
}

export interface McpServerConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  protocol_version?: string;
  /** Run the server in the tools' sandbox (Linux with Landlock; docs/security.md). */
  sandbox?: boolean;
  [key: string]: unknown;
}

/** Free-form settings that agents read; loom also reads its own run settings from here. */
export type AgentConfig = Record<string, unknown>;

export interface LoomConfig {
  name?: string;
  version: string;
  description?: string;
  bridge: BridgeConfig;
  dashboard: DashboardConfig;
  llm: Record<string, LlmProviderConfig>;
  mcp: Record<string, McpServerConfig>;
  agents: Record<string, AgentConfig>;
  /** `[telemetry]`: the collector the embedded Bridge forwards spans and metrics to, and how (bridge/otlp-export.ts). */
  /** `[memory]`: the embedded Bridge's memory store (bridge/memory-db.ts). */
  memory?: { max_mb?: number; [key: string]: unknown };
  telemetry?: { otlp_endpoint?: string; otlp_protocol?: string; traces_mb?: number; traces_days?: number; capture_content?: boolean; [key: string]: unknown };
  /** Other top-level tables ([workspace], ...) kept as they are. */
  [table: string]: unknown;
}

export interface ProjectConfig {
  config: LoomConfig;
  /** The project directory: where loom.toml is, or the directory asked for when there is none. */
  root: string;
  /** Absolute path of the loom.toml read, if any. */
  file?: string;
  /** Absolute path of the .env read, if any. */
  envFile?: string;
  /** The environment the config was expanded with: the real environment over the .env values. */
  env: Record<string, string>;
  warnings: string[];
  /** Where the Python SDK's own loader reads loom.toml differently (`loom config`, `loom doctor`). */
  compatWarnings?: string[];
}
