/**
 * `.env` files, parsed by the dotenv package: `KEY=value`, optional `export `,
 * `#` comments, single/double/backtick quotes, multi-line quoted values, `\n` in double quotes.
 * Values already in the real environment always win (as unjs/c12 does).
 */
import { parse } from "dotenv";
import { findUpward } from "../../files/find-upward";

/** dotenv's own parser: files behave exactly as users of the dotenv package expect. */
export function parseDotenv(source: string): Record<string, string> {
  return parse(source);
}

/** The first `.env` from `startDir` upward, or undefined. */
export function findDotenv(startDir: string): string | undefined {
  return findUpward(startDir, ".env");
}

/** The environment with `.env` values filled in where the real environment has none. */
export function mergeDotenv(env: Record<string, string | undefined>, dotenv: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { ...dotenv };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return merged;
}
