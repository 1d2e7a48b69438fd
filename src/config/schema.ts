/**
 * Turns the parsed (and expanded) loom.toml into a LoomConfig: checks types, fills defaults, keeps
 * unknown keys as they are. Problems come back as issues with a key path; the loader adds the
 * file, line and column.
 */
import { BRIDGE_DEFAULTS, DASHBOARD_DEFAULTS, DEFAULT_PROJECT_VERSION, KNOWN_KEYS, LLM_DEFAULTS } from "./defaults";
import { parseAddress } from "../net/address";
import { shellAllowList, shellRisk } from "./shell";
import { BRIDGE_MODES, RUNTIME_CHOICES, type LlmProviderConfig, type LoomConfig, type McpServerConfig } from "./types";

export interface ConfigIssue {
  path: string[];
  message: string;
  /** Point at the key itself rather than its value (unknown keys). */
  atKey?: boolean;
}

type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (isTable(value)) return "a table";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

class Checker {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  bad(path: string[], expected: string, value: unknown): void {
    this.issues.push({ path, message: `\`${path.join(".")}\` must be ${expected}, not ${describe(value)}` });
  }

  string(table: Table, key: string, path: string[]): void {
    const v = table[key];
    if (v !== undefined && typeof v !== "string") this.bad([...path, key], "a string", v);
  }

  number(table: Table, key: string, path: string[], opts: { integer?: boolean; min?: number; max?: number } = {}): void {
    const v = table[key];
    if (v === undefined) return;
    const ok = typeof v === "number" && Number.isFinite(v) && (!opts.integer || Number.isInteger(v));
    const range = opts.max !== undefined ? ` from ${opts.min ?? 0} to ${opts.max}` : opts.min !== undefined ? ` of at least ${opts.min}` : "";
    const expected = `${opts.integer ? "a whole number" : "a number"}${range}`;
    if (!ok || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) this.bad([...path, key], expected, v);
  }

  boolean(table: Table, key: string, path: string[]): void {
    const v = table[key];
    if (v !== undefined && typeof v !== "boolean") this.bad([...path, key], "true or false", v);
  }

  table(value: unknown, path: string[]): Table {
    if (value === undefined) return {};
    if (isTable(value)) return value;
    this.bad(path, "a table", value);
    return {};
  }

  typos(table: Table, known: readonly string[], path: string[]): void {
    for (const key of Object.keys(table)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => editDistance(k, key) <= Math.min(2, Math.floor(k.length / 3)));
      if (near) this.warnings.push({ path: [...path, key], atKey: true, message: `unknown key \`${[...path, key].join(".")}\`: did you mean \`${near}\`?` });
    }
  }
}

/** Edit distance where swapping two neighbours counts as one edit ("prot" -> "port"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** host:port, or http(s)://host:port (net/address.ts). */
export function isAddress(value: string): boolean {
  return parseAddress(value)?.kind === "tcp";
}

function checkBridge(c: Checker, raw: unknown): LoomConfig["bridge"] {
  const path = ["bridge"];
  const t = c.table(raw, path);
  c.typos(t, KNOWN_KEYS.bridge!, path);
  c.string(t, "address", path);
  if (typeof t.address === "string") {
    if (!isAddress(t.address))
      c.issues.push({ path: [...path, "address"], message: `\`bridge.address\` must be host:port (like "127.0.0.1:50051"), not ${JSON.stringify(t.address)}` });
  }
  if (t.mode !== undefined && !BRIDGE_MODES.includes(t.mode as never)) c.bad([...path, "mode"], `one of ${BRIDGE_MODES.map((m) => `"${m}"`).join(", ")}`, t.mode);
  c.string(t, "version", path);
  c.number(t, "timeout_sec", path, { min: 1 });
  c.string(t, "binary", path);
  c.string(t, "llm", path);
  c.boolean(t, "tls", path);
  c.boolean(t, "expose", path);
  c.string(t, "ca_file", path);
  if (typeof t.address === "string" && /^https?:\/\//.test(t.address) && t.runtime !== "remote")
    c.issues.push({
      path: [...path, "address"],
      message: `\`bridge.address\` ${JSON.stringify(t.address)} is a URL, which only a remote Bridge has: set \`runtime = "remote"\`, or give host:port`,
    });
  if (
    t.shell_allow !== undefined &&
    t.shell_allow !== "upstream" &&
    (!Array.isArray(t.shell_allow) || t.shell_allow.some((a) => typeof a !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(a)))
  )
    c.bad([...path, "shell_allow"], 'an array of plain command names (like ["cat", "grep"]), or "upstream"', t.shell_allow);
  else if (t.shell_allow !== undefined) {
    const risky = shellAllowList(t.shell_allow as string[] | "upstream").flatMap((cmd) => shellRisk(cmd) ?? []);
    if (risky.length) c.warnings.push({ path: [...path, "shell_allow"], message: `\`bridge.shell_allow\`: ${risky.join("; ")} (see docs/security.md)` });
  }
  if (t.runtime !== undefined && !RUNTIME_CHOICES.includes(t.runtime as never)) c.bad([...path, "runtime"], `one of ${RUNTIME_CHOICES.map((m) => `"${m}"`).join(", ")}`, t.runtime);
  if (typeof t.binary === "string" && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(t.binary))
    c.issues.push({ path: [...path, "binary"], message: `\`bridge.binary\` must be a plain file name (like "loom-bridge-server"), not ${JSON.stringify(t.binary)}` });
  return { ...BRIDGE_DEFAULTS, ...t } as LoomConfig["bridge"];
}

function checkDashboard(c: Checker, raw: unknown): LoomConfig["dashboard"] {
  const path = ["dashboard"];
  const t = c.table(raw, path);
  c.typos(t, KNOWN_KEYS.dashboard!, path);
  c.boolean(t, "enabled", path);
  c.string(t, "host", path);
  c.number(t, "port", path, { integer: true, min: 0, max: 65535 });
  return { ...DASHBOARD_DEFAULTS, ...t } as LoomConfig["dashboard"];
}

function checkLlm(c: Checker, name: string, raw: unknown): LlmProviderConfig {
  const path = ["llm", name];
  const t = c.table(raw, path);
  c.typos(t, KNOWN_KEYS.llm!, path);
  for (const key of ["type", "base_url", "api_base", "api_key", "model"]) c.string(t, key, path);
  c.number(t, "max_tokens", path, { integer: true, min: 1 });
  c.number(t, "temperature", path, { min: 0 });
  c.number(t, "timeout_sec", path, { min: 0 });
  const extra = c.table(t.extra, [...path, "extra"]);
  const { api_base, ...rest } = t;
  if (api_base !== undefined && t.base_url !== undefined && api_base !== t.base_url)
    c.issues.push({ path: [...path, "api_base"], message: `\`llm.${name}\` sets both \`base_url\` and the older \`api_base\` to different values; keep \`base_url\`` });
  const provider = { ...LLM_DEFAULTS, ...rest, extra } as LlmProviderConfig;
  if (provider.base_url === undefined && typeof api_base === "string") provider.base_url = api_base;
  return provider;
}

function checkMcp(c: Checker, name: string, raw: unknown): McpServerConfig {
  const path = ["mcp", name];
  const t = c.table(raw, path);
  c.typos(t, KNOWN_KEYS.mcp!, path);
  if (typeof t.command !== "string" || t.command === "") c.bad([...path, "command"], "the command that starts the server (a non-empty string)", t.command);
  let args: string[] = [];
  if (t.args !== undefined) {
    if (!Array.isArray(t.args) || t.args.some((a) => typeof a !== "string")) c.bad([...path, "args"], 'an array of strings (like ["-y", "server"])', t.args);
    else args = t.args as string[];
  }
  c.string(t, "cwd", path);
  c.string(t, "protocol_version", path);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.table(t.env, [...path, "env"]))) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") env[k] = String(v);
    else c.bad([...path, "env", k], "a string", v);
  }
  return { ...t, command: String(t.command ?? ""), args, env } as McpServerConfig;
}

function named<T>(c: Checker, raw: unknown, section: string, check: (name: string, v: unknown) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, v] of Object.entries(c.table(raw, [section]))) out[name] = check(name, v);
  return out;
}

export function checkConfig(raw: Table): { config: LoomConfig; issues: ConfigIssue[]; warnings: ConfigIssue[] } {
  const c = new Checker();
  c.typos(raw, KNOWN_KEYS[""]!, []);
  for (const key of ["name", "version", "description"]) c.string(raw, key, []);
  const config: LoomConfig = {
    name: raw.name as string | undefined,
    version: (raw.version as string | undefined) ?? DEFAULT_PROJECT_VERSION,
    description: raw.description as string | undefined,
    bridge: checkBridge(c, raw.bridge),
    dashboard: checkDashboard(c, raw.dashboard),
    llm: named(c, raw.llm, "llm", (n, v) => checkLlm(c, n, v)),
    mcp: named(c, raw.mcp, "mcp", (n, v) => checkMcp(c, n, v)),
    agents: named(c, raw.agents, "agents", (n, v) => {
      if (!isTable(v)) c.warnings.push({ path: ["agents", n], message: `\`agents.${n}\` is ${describe(v)}, not a table; kept as it is` });
      return v as Table;
    }),
  };
  for (const [key, value] of Object.entries(raw)) if (!(key in config)) config[key] = value; // [workspace] and friends
  if (config.bridge.llm !== undefined && !(config.bridge.llm in config.llm))
    c.issues.push({
      path: ["bridge", "llm"],
      message: `\`bridge.llm\` names the provider ${JSON.stringify(config.bridge.llm)}, but there is no [llm.${config.bridge.llm}] (there is ${
        Object.keys(config.llm)
          .map((n) => `[llm.${n}]`)
          .join(", ") || "none"
      })`,
    });
  return { config, issues: c.issues, warnings: c.warnings };
}
