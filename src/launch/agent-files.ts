/**
 * The files loom writes into `.loom/` for its TypeScript and JavaScript agents, private and
 * rewritten whenever they differ: the preload that Bun runs first in each agent, and the SDK the
 * preload makes importable as `loom:sdk` (src/sdk; the bundle is made when loom is compiled).
 */
import { lstatSync, readFileSync } from "node:fs";
import { join } from "pathe";
import { STATE_DIR } from "../constants";
import { writePrivateFile } from "../files/private";
import { sdkBundle } from "../sdk/bundle" with { type: "macro" };

export const PRELOAD_FILE = "agent-preload.mjs";
export const SDK_FILE = "loom-sdk.mjs";
/** The specifier agents import the SDK by: no npm package can have this name, so none is fetched for it. */
export const SDK_SPECIFIER = "loom:sdk";

const SDK_SOURCE: string = sdkBundle();

/**
 * Preloaded into TypeScript agents. BUN_BE_BUN=1 made the loom executable act as Bun for the agent;
 * its own children must not inherit it (a `loom` they call would be Bun). node:child_process and
 * Bun.$ follow process.env, but Bun.spawn without `env` uses the environment Bun started with, so it
 * gets process.env explicitly. `loom:sdk` is a virtual module that re-exports the SDK file, loaded
 * only when an agent imports it.
 */
export const PRELOAD_SOURCE = `// Written by loom: keeps BUN_BE_BUN out of this agent's children; makes ${SDK_SPECIFIER} importable.
delete process.env.BUN_BE_BUN;
for (const name of ["spawn", "spawnSync"]) {
  const original = Bun[name];
  Bun[name] = function (cmd, options) {
    if (Array.isArray(cmd)) return original.call(this, cmd, { ...options, env: options?.env ?? { ...process.env } });
    return original.call(this, { ...cmd, env: cmd?.env ?? { ...process.env } });
  };
}
const sdk = JSON.stringify(import.meta.dir + "/${SDK_FILE}");
Bun.plugin({ name: "loom-sdk", setup(build) { build.module("${SDK_SPECIFIER}", () => ({ contents: "export * from " + sdk + ";", loader: "js" })); } });
`;

function current(path: string, content: string): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile() || (stat.mode & 0o777) !== 0o600 || stat.size !== Buffer.byteLength(content) || readFileSync(path, "utf8") !== content) writePrivateFile(path, content);
}

/** Writes the preload and the SDK under `root`/.loom; returns the preload's path. */
export function writeAgentFiles(root: string): string {
  const preload = join(root, STATE_DIR, PRELOAD_FILE);
  current(join(root, STATE_DIR, SDK_FILE), SDK_SOURCE);
  current(preload, PRELOAD_SOURCE);
  return preload;
}
