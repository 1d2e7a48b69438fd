/** Hides secrets before a configuration is printed. */
import { isTable } from "./schema";
import type { LoomConfig } from "./types";

export const REDACTED = "***";
// Whole words at the end of a key: `api_key`, `github_token`, `client_secret`, `DB_PASSWORD`,
// `apiKey`; not `max_tokens`.
const SECRET_KEY = /(?:^|[_.-])(?:api_?key|access_?key|secret_?key|private_?key|token|secret|password|passwd)$|(?:apiKey|Token|Secret|Password)$/i;

/** Env tables whose every value is treated as secret: `mcp.*.env` and `agents.*.env`. */
function isSecretTable(path: string[]): boolean {
  return path.length === 3 && (path[0] === "mcp" || path[0] === "agents") && path[2] === "env";
}

function redactValue(value: unknown, path: string[], secret: boolean): unknown {
  // Empty stays empty: "not set" is useful to see and gives nothing away.
  if (secret && typeof value === "string") return value === "" ? "" : REDACTED;
  if (secret && (typeof value === "number" || typeof value === "boolean")) return REDACTED;
  if (Array.isArray(value)) return value.map((v, i) => redactValue(v, [...path, String(i)], secret));
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    const all = secret || isSecretTable(path);
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, [...path, k], all || SECRET_KEY.test(k));
    return out;
  }
  return value;
}

export function redactConfig(config: LoomConfig): LoomConfig {
  return redactValue(config, [], false) as LoomConfig;
}
