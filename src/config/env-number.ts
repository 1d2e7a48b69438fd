/** Numeric settings read from the environment: a bad value is a usage error naming the variable. */
import { LoomError } from "../errors";

export function envNumber(env: Record<string, string | undefined>, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new LoomError("USAGE", `${name} must be a number of at least ${min}, not ${JSON.stringify(raw)}`, { hint: `fix or unset ${name}` });
  return n;
}
