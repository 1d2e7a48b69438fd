/** Flags that several commands share, typed once. */
import type { ArgsDef } from "citty";
import { LoomError } from "../errors";

/** The values citty parses for flags `T` (each may be missing): a boolean, an enum's option, or the text. */
export type Flags<T extends ArgsDef> = {
  -readonly [K in keyof T]?: T[K] extends { type: "boolean" } ? boolean : T[K] extends { type: "enum"; options: readonly (infer O)[] } ? O : string;
};

export const projectArg = {
  project: {
    type: "string",
    alias: "p",
    description: "Project directory (default: the current directory; loom.toml is looked up from there)",
    valueHint: "DIR",
  },
  config: {
    type: "string",
    description: "The configuration file, when it is not the project's loom.toml (as LOOM_CONFIG; a ConfigMap's mount)",
    valueHint: "FILE",
  },
} as const satisfies ArgsDef;

export const verboseArg = {
  verbose: { type: "boolean", description: "Show stack traces and debug output" },
} as const satisfies ArgsDef;

export const jsonArg = {
  json: { type: "boolean", description: "Print JSON instead of text" },
} as const satisfies ArgsDef;

/** A flag in seconds (`--timeout 30`): a finite number, above 0 unless `zero` is allowed; `fallback` when absent. */
export function secondsArg(flag: string, value: string | undefined, fallback: number, o: { zero?: boolean; hint?: string } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (o.zero ? n < 0 : n <= 0))
    throw new LoomError("USAGE", `--${flag} must be a number of seconds${o.zero ? "" : " above 0"}, not "${value}"`, o.hint ? { hint: o.hint } : {});
  return n;
}

/** `--address`: the Bridge a client command talks to (client/address.ts bridgeTarget). */
export const addressArg = {
  address: { type: "string", description: "Bridge address (default: the running project's, else LOOM_BRIDGE_ADDR, else loom.toml's)", valueHint: "HOST:PORT" },
} as const satisfies ArgsDef;

/** A count flag (`--count 3`): a whole number of at least `min`; `fallback` when absent. One reader, so every count says the same. */
export function countArg(flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new LoomError("USAGE", `--${flag} must be a whole number of at least ${min}, not "${value}"`);
  return n;
}
