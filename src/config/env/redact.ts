/**
 * Hides secrets before a configuration is printed: values under secret-looking keys and in env
 * tables by position, and (secrets.ts) any remembered secret value or URL credential anywhere else.
 */
import { isTable } from "../schema";
import { REDACTED, SECRET_KEY, rememberSecret, scrub } from "./secrets";
import type { LoomConfig } from "../types";

export { REDACTED };

/** Env tables whose every value is treated as secret: `mcp.*.env` and `agents.*.env`. */
function isSecretTable(path: string[]): boolean {
  return path.length === 3 && (path[0] === "mcp" || path[0] === "agents") && path[2] === "env";
}

function redactValue(value: unknown, path: string[], secret: boolean): unknown {
  // Empty stays empty: "not set" is useful to see and gives nothing away.
  if (secret && typeof value === "string") return value === "" ? "" : REDACTED;
  if (typeof value === "string") return scrub(value);
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

/** Remembers every value `redactConfig` would hide by position, so `scrub` hides it elsewhere too. */
export function rememberConfigSecrets(value: unknown, path: string[] = [], secret = false): void {
  if (secret && typeof value === "string") rememberSecret(value);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) rememberConfigSecrets(v, [...path, String(i)], secret);
  else if (isTable(value)) for (const [k, v] of Object.entries(value)) rememberConfigSecrets(v, [...path, k], secret || isSecretTable(path) || SECRET_KEY.test(k));
}
