/**
 * loom.toml's schema (zod): checks the parsed and expanded file, fills defaults, keeps unknown keys
 * as they are (agents and upstream's SDK read their own). Every problem comes back as an issue
 * with its key path, worded "`bridge.port` must be …, not …"; the loader adds file:line:column.
 */
import { z } from "zod";
import { parseAddress } from "../net/address";
import { BRIDGE_DEFAULTS, DASHBOARD_DEFAULTS, DEFAULT_PROJECT_VERSION, LLM_DEFAULTS } from "./defaults";
import { shellAllowList, shellRisk } from "./shell";
import { type ConfigIssue, isTable, typoWarnings } from "./typos";
import { BRIDGE_MODES, RUNTIME_CHOICES, type LoomConfig } from "./types";
import { DELIVERIES, MAX_REPLICAS } from "./replicas";
import { RESTART_MODES } from "../constants";

export { type ConfigIssue, isTable };

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (isTable(value)) return "a table";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** "must be <what>, not <the value>" (or "is missing: it must be …"); the key path goes in front when reported. */
const must = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? `is missing: it must be ${what}` : `must be ${what}, not ${describe(issue.input)}`),
});

const text = () => z.string(must("a string")).optional();
const flag = () => z.boolean(must("true or false")).optional();
const oneOf = <T extends string>(choices: readonly T[]) => z.enum(choices as [T, ...T[]], must(`one of ${choices.map((m) => `"${m}"`).join(", ")}`)).optional();
const strings = (example: string) => z.custom<string[]>((v) => Array.isArray(v) && v.every((a) => typeof a === "string"), must(`an array of strings (like ${example})`));

function number(opts: { integer?: boolean; min?: number; max?: number }) {
  const range = opts.max !== undefined ? ` from ${opts.min ?? 0} to ${opts.max}` : opts.min !== undefined ? ` of at least ${opts.min}` : "";
  const m = must(`${opts.integer ? "a whole number" : "a number"}${range}`);
  let n = opts.integer ? z.int(m) : z.number(m);
  if (opts.min !== undefined) n = n.min(opts.min, m);
  if (opts.max !== undefined) n = n.max(opts.max, m);
  return n.optional();
}

/** A TOML table (absent is empty) with these keys checked and every other key kept. */
const table = <S extends z.core.$ZodLooseShape>(shape: S) => z.preprocess((v) => v ?? {}, z.custom<object>(isTable, must("a table")).pipe(z.looseObject(shape)));
const named = <T extends z.ZodType>(item: T) => z.preprocess((v) => v ?? {}, z.custom<object>(isTable, must("a table")).pipe(z.record(z.string(), item)));

/** host:port, or http(s)://host:port (net/address.ts). */
export function isAddress(value: string): boolean {
  return parseAddress(value)?.kind === "tcp";
}

/**
 * Why `dir` cannot be a directory the tools write to, or undefined: it must be beneath the
 * project, and neither the project itself nor where loom, git or an interpreter reads code,
 * configuration or secrets (docs/security.md "What the tools may touch").
 */
export function writableDir(dir: string): string | undefined {
  const parts = dir.split(/[\\/]+/).filter((p) => p !== "" && p !== ".");
  if (dir.startsWith("/") || /^[A-Za-z]:/.test(dir) || parts.includes("..")) return "must be a directory beneath the project (relative, without ..)";
  if (parts.length === 0) return 'is the project itself: name a directory in it that holds only data (like "workspace")';
  const code = parts.find((p) => [".loom", ".git", "agents", "node_modules", ".venv", "venv", "__pycache__"].includes(p.toLowerCase()) || p.toLowerCase().startsWith(".env"));
  if (code) return `is under ${code}, which holds loom's state, secrets or code: name a directory that holds only data`;
  return undefined;
}

const plainName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const commandName = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

const bridge = table({
  address: z
    .string(must("a string"))
    .refine(isAddress, { error: (i) => `\`bridge.address\` must be host:port (like "127.0.0.1:50051"), not ${JSON.stringify(i.input)}` })
    .default(BRIDGE_DEFAULTS.address),
  mode: oneOf(BRIDGE_MODES).default(BRIDGE_DEFAULTS.mode),
  version: text().default(BRIDGE_DEFAULTS.version),
  timeout_sec: number({ min: 1 }).default(BRIDGE_DEFAULTS.timeout_sec),
  binary: z
    .string(must("a string"))
    .refine((b) => plainName.test(b), { error: (i) => `\`bridge.binary\` must be a plain file name (like "loom-bridge-server"), not ${JSON.stringify(i.input)}` })
    .optional(),
  llm: text(),
  runtime: oneOf(RUNTIME_CHOICES),
  tls: flag(),
  expose: flag(),
  ca_file: text(),
  shell_allow: z
    .custom<string[] | "upstream">(
      (v) => v === "upstream" || (Array.isArray(v) && v.every((a) => typeof a === "string" && commandName.test(a))),
      must('an array of plain command names (like ["cat", "grep"]), or "upstream"'),
    )
    .optional(),
  writable: z
    .custom<string[]>((v) => Array.isArray(v) && v.every((d) => typeof d === "string" && writableDir(d) === undefined), {
      error: (i) => {
        const bad = Array.isArray(i.input) ? i.input.find((d) => typeof d !== "string" || writableDir(d) !== undefined) : undefined;
        return typeof bad === "string"
          ? `\`bridge.writable\` entry ${JSON.stringify(bad)} ${writableDir(bad)}`
          : `must be an array of project-relative directories (like ["workspace"]), not ${describe(i.input)}`;
      },
    })
    .optional(),
  shell_network: flag(),
}).superRefine((b, ctx) => {
  if (/^https?:\/\//.test(b.address) && b.runtime !== "remote")
    ctx.addIssue({
      code: "custom",
      path: ["address"],
      message: `\`bridge.address\` ${JSON.stringify(b.address)} is a URL, which only a remote Bridge has: set \`runtime = "remote"\`, or give host:port`,
    });
});

const dashboard = table({
  enabled: flag().default(DASHBOARD_DEFAULTS.enabled),
  host: text().default(DASHBOARD_DEFAULTS.host),
  port: number({ integer: true, min: 0, max: 65535 }).default(DASHBOARD_DEFAULTS.port),
});

const llm = table({
  type: text().default(LLM_DEFAULTS.type),
  base_url: text(),
  api_base: text(),
  api_key: text(),
  model: text(),
  max_tokens: number({ integer: true, min: 1 }).default(LLM_DEFAULTS.max_tokens),
  temperature: number({ min: 0 }).default(LLM_DEFAULTS.temperature),
  timeout_sec: number({ min: 0 }).default(LLM_DEFAULTS.timeout_sec),
  extra: table({}),
})
  .refine((p) => p.api_base === undefined || p.base_url === undefined || p.api_base === p.base_url, {
    path: ["api_base"],
    error: "sets both `base_url` and the older `api_base` to different values; keep `base_url`",
  })
  // `api_base` is the older name of `base_url` (upstream's SDK reads either).
  .transform(({ api_base, ...p }) => ({ ...p, base_url: p.base_url ?? api_base }));

const scalar = z.union([z.string(), z.number(), z.boolean()], must("a string")).transform(String);
const mcp = table({
  command: z.string(must("the command that starts the server (a non-empty string)")).min(1, must("the command that starts the server (a non-empty string)")),
  args: strings('["-y", "server"]').default([]),
  env: named(scalar),
  cwd: text(),
  protocol_version: text(),
  sandbox: flag(),
});

/**
 * `[agents.<id>]`: what loom reads to run the agent, checked here so that `loom config` and
 * `loom doctor` name a wrong value with its line; every other key is the agent's own (upstream's
 * SDK reads its settings from this table) and is kept as written.
 */
const agent = table({
  script: text(),
  command: z
    .custom<string[]>((v) => Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === "string"), must('a non-empty array of strings (like ["python", "-m", "my_agent"])'))
    .optional(),
  enabled: flag(),
  restart: oneOf(RESTART_MODES),
  replicas: number({ integer: true, min: 1, max: MAX_REPLICAS }),
  delivery: oneOf(DELIVERIES),
  env: z.preprocess((v) => v ?? {}, z.custom<object>(isTable, must('a table of variables ([agents.NAME.env] KEY = "value")')).pipe(z.record(z.string(), scalar))).optional(),
  watch: strings('["prompts/**", "lib/*.py"]').optional(),
  topics: strings('["task.*", "hello.input"]').optional(),
});

/** As OTEL_EXPORTER_OTLP_PROTOCOL names them. */
export const OTLP_PROTOCOLS = ["http/protobuf", "http/json", "grpc"] as const;

const telemetry = table({
  otlp_endpoint: z
    .string(must("an http(s) URL"))
    .refine((u) => /^https?:\/\/[^/\s]+/.test(u) && URL.canParse(u), {
      error: (i) => `\`telemetry.otlp_endpoint\` must be an http(s) URL (like "http://127.0.0.1:4318"), not ${JSON.stringify(i.input)}`,
    })
    .optional(),
  otlp_protocol: oneOf(OTLP_PROTOCOLS),
  traces_mb: number({ min: 1, max: 100_000 }),
  traces_days: number({ min: 0.01, max: 3650 }),
  capture_content: flag(),
});

const loomToml = z
  .looseObject({
    name: text(),
    version: text().default(DEFAULT_PROJECT_VERSION),
    description: text(),
    bridge,
    dashboard,
    llm: named(llm),
    mcp: named(mcp),
    agents: named(agent),
    telemetry,
    memory: table({ max_mb: number({ min: 1, max: 1_000_000 }) }),
  })
  .superRefine((c, ctx) => {
    if (c.bridge.llm !== undefined && !(c.bridge.llm in c.llm)) {
      const have = Object.keys(c.llm).map((n) => `[llm.${n}]`);
      const message = `\`bridge.llm\` names the provider ${JSON.stringify(c.bridge.llm)}, but there is no [llm.${c.bridge.llm}] (there is ${have.join(", ") || "none"})`;
      ctx.addIssue({ code: "custom", path: ["bridge", "llm"], message });
    }
  });

/** What a zod issue says, as loom says it: the key path in front of a "must be" message. */
function toIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = issue.path.map(String);
  const llmName = path[0] === "llm" && path[2] === "api_base" ? `\`llm.${path[1]}\` ` : "";
  return { path, message: /^(must be |is missing:)/.test(issue.message) ? `\`${path.join(".")}\` ${issue.message}` : `${llmName}${issue.message}` };
}

/** Advice that does not stop a run: near-miss keys, risky shell commands, agents that are not tables. */
function warningsOf(raw: Record<string, unknown>, config: LoomConfig | undefined): ConfigIssue[] {
  const warnings = typoWarnings(raw);
  const allow = config?.bridge.shell_allow;
  const risky = allow === undefined ? [] : shellAllowList(allow).flatMap((cmd) => shellRisk(cmd) ?? []);
  if (risky.length) warnings.push({ path: ["bridge", "shell_allow"], message: `\`bridge.shell_allow\`: ${risky.join("; ")} (see docs/security.md)` });
  for (const [name, agent] of Object.entries(config?.agents ?? {}))
    if (!isTable(agent)) warnings.push({ path: ["agents", name], message: `\`agents.${name}\` is ${describe(agent)}, not a table; kept as it is` });
  return warnings;
}

export function checkConfig(raw: Record<string, unknown>): { config: LoomConfig; issues: ConfigIssue[]; warnings: ConfigIssue[] } {
  const parsed = loomToml.safeParse(raw);
  // Typed as config/types.ts writes it (with its documentation, the library's API); tsc checks that
  // the schema's output is assignable to it, so the two cannot drift apart.
  const config: LoomConfig | undefined = parsed.success ? parsed.data : undefined;
  const issues = parsed.success ? [] : parsed.error.issues.map(toIssue);
  return { config: config ?? ({} as LoomConfig), issues, warnings: warningsOf(raw, config) };
}
