/**
 * `.env` files with the syntax of the widely used dotenv package: `KEY=value`, optional `export `,
 * `#` comments, single/double/backtick quotes, multi-line quoted values, `\n` in double quotes.
 * Values already in the real environment always win (as unjs/c12 does).
 */
import { dirname, join } from "pathe";
import { existsSync } from "node:fs";

// The line grammar of dotenv (motdotla/dotenv lib/main.js), so files behave as users expect.
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

export function parseDotenv(source: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = source.replace(/\r\n?/g, "\n");
  for (const match of lines.matchAll(LINE)) {
    const key = match[1]!;
    let value = (match[2] ?? "").trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/m, "$2");
    if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    out[key] = value;
  }
  return out;
}

/** The first `.env` from `startDir` upward, or undefined. */
export function findDotenv(startDir: string): string | undefined {
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, ".env");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The environment with `.env` values filled in where the real environment has none. */
export function mergeDotenv(env: Record<string, string | undefined>, dotenv: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { ...dotenv };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return merged;
}
