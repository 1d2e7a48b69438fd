/** Settings read from the environment: numbers (a bad value is a usage error naming the variable), and lists loom passes on. */
import { LoomError } from "../../errors";

export function envNumber(env: Record<string, string | undefined>, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new LoomError("USAGE", `${name} must be a number of at least ${min}, not ${JSON.stringify(raw)}`, { hint: `fix or unset ${name}` });
  return n;
}

/** A JSON array of strings that loom hands a child (LOOM_FS_PROTECT, LOOM_SHARED_AGENTS); anything else, or no value, is none. */
export function envStrings(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const list = JSON.parse(value);
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
