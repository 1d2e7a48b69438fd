/**
 * What `loom export` writes, decided once from the project: its name as Kubernetes and Compose
 * want names, the Bridge's port, the agents (each with its file or command and its replicas), and
 * the `.env` keys split by who may see them: variables that loom.toml's [bridge], [llm.*] or
 * [mcp.*] use are the runtime's (its LLM and MCP secrets, the Bridge's pod only), whether `.env`
 * has them or not (production gets them elsewhere); every other key is the agents'. Values are
 * never read here: only names. A secret written into loom.toml itself is refused: loom.toml goes
 * into a ConfigMap every pod mounts, and into the image (docs/cluster.md "Secrets").
 */
import { basename, relative } from "pathe";
import { hostPort } from "../net/address";
import { parseDotenv } from "../config/env/dotenv";
import { readTextFile } from "../files/read-text";
import type { ProjectConfig } from "../config/types";
import { isTable } from "../config/typos";
import { planAgents } from "../launch/process-plan";
import { LoomError } from "../errors";

export interface ExportAgent {
  /** The agent's name (its id), and the resource name it gets. */
  id: string;
  resource: string;
  /** The file `loom run` runs, relative to the project; or the command a table gives. */
  source?: string;
  command?: string[];
  replicas: number;
  python: boolean;
  /** `[agents.<id>] resources = { cpu = "500m", memory = "256Mi" }`: what each replica asks for. */
  resources?: { cpu?: string; memory?: string };
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

/** `[agents.<id>] resources`, checked: Kubernetes quantities for cpu and memory. */
function resourcesOf(id: string, raw: unknown): ExportAgent["resources"] {
  if (raw === undefined) return undefined;
  const table = isTable(raw) ? raw : {};
  const bad = !isTable(raw) || Object.entries(table).some(([k, v]) => !["cpu", "memory"].includes(k) || typeof v !== "string" || !QUANTITY.test(v));
  if (bad)
    throw new LoomError("CONFIG", `\`agents.${id}.resources\` must be a table of cpu and memory quantities, like { cpu = "500m", memory = "256Mi" }, not ${JSON.stringify(raw)}`, {
      hint: "fix it in loom.toml",
    });
  return table as ExportAgent["resources"];
}

export interface ExportPlan {
  name: string;
  version: string;
  bridgePort: number;
  dashboard: boolean;
  dashboardPort: number;
  agents: ExportAgent[];
  secrets: { runtime: string[]; agents: string[] };
  /** The .env's values, only when `--include-secrets` asked for them. */
  values?: Record<string, string>;
}

/** A DNS-1123 label: lowercase letters, digits and '-', starting and ending with an alphanumeric. */
export function dnsLabel(text: string, max = 63): string {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/, "");
  return label || "loom";
}

const VARIABLE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

/** Names of the variables that strings under `value` use (`${NAME}`, `$NAME`, `${NAME:-x}`, ...). */
function variablesIn(value: unknown, into: Set<string>): void {
  if (typeof value === "string") for (const m of value.matchAll(VARIABLE)) into.add(m[1]!);
  else if (Array.isArray(value)) for (const v of value) variablesIn(v, into);
  else if (isTable(value)) for (const v of Object.values(value)) variablesIn(v, into);
}

/** Keys whose value is a secret: an API key, a token, a password. */
const SECRET_KEY = /(^|[_-])(api[_-]?key|key|token|secret|password|passwd|pass|credentials?|auth|authorization)([_-]|$)/i;
/** One `${VAR}` (with a default or a message, `${VAR:-x}`, `${VAR:?x}`) or `$VAR`, and nothing else. */
const ONLY_REFERENCE = /^\$(\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$/;

/** loom.toml's literal secrets (a value under a secret-like key that is not one `${VAR}`), as key paths. */
export function literalSecrets(raw: Record<string, unknown>): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (isTable(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    else if (typeof value === "string" && value !== "" && SECRET_KEY.test(path[path.length - 1] ?? "") && !ONLY_REFERENCE.test(value.trim())) found.push(path.join("."));
  };
  for (const section of ["bridge", "llm", "mcp", "dashboard"]) walk(raw[section], [section]);
  return found;
}

export function exportPlan(project: ProjectConfig, raw: Record<string, unknown>, includeSecrets = false): ExportPlan {
  const literal = literalSecrets(raw);
  if (literal.length)
    throw new LoomError(
      "CONFIG",
      `loom.toml holds ${literal.map((k) => `\`${k}\``).join(", ")} as ${literal.length > 1 ? "literal values" : "a literal value"}: the export would put ${literal.length > 1 ? "them" : "it"} in the ConfigMap every pod mounts and in the image`,
      {
        hint: `write a reference instead (like api_key = "\${OPENAI_API_KEY}") and put the value in .env; the export then names it for the Bridge's Secret`,
      },
    );
  const { config, root } = project;
  const name = dnsLabel(config.name ?? basename(root), 40);
  const specs = planAgents(project, { python: "python3", bun: "loom", preload: "/dev/null" });
  const agents: ExportAgent[] = [];
  for (const spec of specs) {
    if (spec.env.LOOM_AGENT_REPLICA && spec.env.LOOM_AGENT_REPLICA !== "1") continue; // replicas are the Deployment's
    agents.push({
      id: spec.name,
      resource: dnsLabel(`${name}-${spec.name}`),
      ...(spec.source ? { source: relative(root, spec.source) } : { command: spec.argv }),
      replicas: specs.filter((s) => s.name === spec.name || s.name.startsWith(`${spec.name}.`)).length,
      python: spec.source?.endsWith(".py") ?? false,
      resources: resourcesOf(spec.name, (config.agents[spec.name] as Record<string, unknown> | undefined)?.resources),
    });
  }
  const runtimeVars = new Set<string>();
  for (const section of ["bridge", "llm", "mcp", "dashboard"]) variablesIn(raw[section], runtimeVars);
  const agentVars = new Set<string>();
  for (const [section, value] of Object.entries(raw)) if (!["bridge", "llm", "mcp", "dashboard"].includes(section)) variablesIn(value, agentVars);
  const dotenv = project.envFile ? parseDotenv(readTextFile(project.envFile, ".env file")) : {};
  // Variables loom or the image sets itself are no secret of the user's.
  const own = (k: string) => k.startsWith("LOOM_") || ["HOME", "PATH", "PWD", "USER"].includes(k);
  const keys = [...new Set([...Object.keys(dotenv), ...runtimeVars, ...agentVars])].filter((k) => !own(k)).sort();
  return {
    name,
    version: config.version,
    bridgePort: hostPort(config.bridge.address).port || 50051,
    dashboard: config.bridge.mode === "full" && config.dashboard.enabled,
    dashboardPort: config.dashboard.port,
    agents,
    secrets: { runtime: keys.filter((k) => runtimeVars.has(k)), agents: keys.filter((k) => !runtimeVars.has(k)) },
    ...(includeSecrets ? { values: dotenv } : {}),
  };
}
