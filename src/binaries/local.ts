/**
 * Local builds of the runtime: `$CARGO_TARGET_DIR/{release,debug}` when it is set, then
 * `target/release` and `target/debug` (debug first when asked) from the project directory upward to
 * the nearest Cargo workspace root. A build found is used as it is, never run to ask what it is.
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

export function findLocalBuild(
  name: string,
  projectDir: string,
  tag: PlatformTag,
  preferDebug = false,
  env: Record<string, string | undefined> = process.env,
): LocalBuild | undefined {
  const profiles: LocalBuild["profile"][] = preferDebug ? ["debug", "release"] : ["release", "debug"];
  const names = [...new Set([name, WORKSPACE_BINARY])].map((n) => exeName(n, tag));
  const targets = [...(env.CARGO_TARGET_DIR ? [resolve(projectDir, env.CARGO_TARGET_DIR)] : []), ...searchDirs(projectDir).map((d) => join(d, "target"))];
  for (const target of targets)
    for (const profile of profiles)
      for (const file of names) {
        const path = join(target, profile, file);
        if (statSync(path, { throwIfNoEntry: false })?.isFile()) return { path, profile };
      }
  return undefined;
}
