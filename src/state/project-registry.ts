/**
 * The registry of running projects, for `loom down --all`: one file per project under
 * `${XDG_STATE_HOME:-~/.local/state}/loom/projects` (private directories), enough to stop a project
 * whose directory (and so its ledger) was deleted. Entries that are not the user's own files, or
 * not of the registration's shape, are skipped.
 */
import { sha256Hex } from "../system/random";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "pathe";
import { z } from "zod";
import { privateDir, writePrivateFile } from "../files/private";
import { distrust } from "../files/trust";

/** `${XDG_STATE_HOME:-~/.local/state}/loom/projects`: one file per running project. */
export function registryDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state");
  return join(base, "loom", "projects");
}

function registryFile(root: string, env: Record<string, string | undefined>): string {
  return join(registryDir(env), sha256Hex(root).slice(0, 16));
}

const registration = z.object({
  root: z.string(),
  runId: z.string().optional(),
  supervisor: z.object({ pid: z.number().int(), startTime: z.string().optional() }).optional(),
});
/** What the registry keeps of a running project. */
export type Registration = z.infer<typeof registration>;

export function register(entry: Registration, env: Record<string, string | undefined> = process.env): void {
  const dir = registryDir(env);
  mkdirSync(join(dir, "..", ".."), { recursive: true }); // XDG_STATE_HOME itself is left as it is
  privateDir(join(dir, ".."), "loom's state directory");
  privateDir(dir, "registry directory");
  writePrivateFile(registryFile(entry.root, env), JSON.stringify(entry) + "\n");
}

export function unregister(root: string, env: Record<string, string | undefined> = process.env): void {
  rmSync(registryFile(root, env), { force: true });
}

/** The registered projects; entries that are not the user's own files are skipped. */
export function registeredProjects(env: Record<string, string | undefined> = process.env): Registration[] {
  const dir = registryDir(env);
  if (!existsSync(dir)) return [];
  const out: Registration[] = [];
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st?.isFile() || distrust(st)) continue;
    const text = readFileSync(path, "utf8").trim();
    try {
      const entry = registration.safeParse(JSON.parse(text));
      if (entry.success) out.push(entry.data);
    } catch {
      if (text.startsWith("/")) out.push({ root: text }); // written by an older loom: the root alone
    }
  }
  return out;
}
