import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "pathe";

/** The real loom.toml files of the Loom example apps (../shared/examples). */
export const EXAMPLES_DIR = [resolve(import.meta.dir, "../../../shared/examples"), resolve(import.meta.dir, "../fixtures/examples")].find(existsSync)!;

export function exampleFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(EXAMPLES_DIR)) if (f.endsWith(".loom.toml")) out[f.replace(".loom.toml", "")] = join(EXAMPLES_DIR, f);
  return out;
}
