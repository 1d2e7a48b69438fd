/**
 * Local builds of the runtime: `target/release` and `target/debug` (debug first when asked), from
 * the project directory upward to the nearest Cargo workspace root.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "pathe";
import { WORKSPACE_BINARY } from "./names";
import { exeName, type PlatformTag } from "./platform";

function isWorkspaceRoot(dir: string): boolean {
  const cargo = join(dir, "Cargo.toml");
  if (!existsSync(cargo)) return false;
  try {
    return /^\s*\[workspace\]/m.test(readFileSync(cargo, "utf8"));
  } catch {
    return false;
  }
}

/** The directories searched: the project and its parents up to a Cargo workspace root (only the project when there is none). */
export function searchDirs(projectDir: string): string[] {
  const dirs: string[] = [];
  let dir = resolve(projectDir);
  for (;;) {
    dirs.push(dir);
    if (isWorkspaceRoot(dir)) return dirs;
    const parent = dirname(dir);
    if (parent === dir) return [resolve(projectDir)];
    dir = parent;
  }
}

export interface LocalBuild {
  path: string;
  profile: "release" | "debug";
}

export function findLocalBuild(name: string, projectDir: string, tag: PlatformTag, preferDebug = false): LocalBuild | undefined {
  const profiles: LocalBuild["profile"][] = preferDebug ? ["debug", "release"] : ["release", "debug"];
  const names = [...new Set([name, WORKSPACE_BINARY])].map((n) => exeName(n, tag));
  for (const dir of searchDirs(projectDir))
    for (const profile of profiles)
      for (const file of names) {
        const path = join(dir, "target", profile, file);
        if (statSync(path, { throwIfNoEntry: false })?.isFile()) return { path, profile };
      }
  return undefined;
}
