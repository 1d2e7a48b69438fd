/** `bun run build:release` output for the distribution tests, built once per run when older than the sources. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "pathe";
import { buildRelease } from "../../scripts/build-release";
import { ROOT, newestSource } from "./loom";

export const RELEASE_VERSION = "0.1.0";
export const RELEASE_DIR = join(ROOT, "dist/release");

let built: Promise<unknown> | undefined;

export function ensureRelease(): Promise<unknown> {
  const sums = join(RELEASE_DIR, "checksums.txt");
  const fresh =
    existsSync(sums) &&
    existsSync(join(RELEASE_DIR, "npm", `loom-os-loom-${RELEASE_VERSION}.tgz`)) &&
    readFileSync(sums, "utf8").includes(`loom-${RELEASE_VERSION}-`) &&
    statSync(sums).mtimeMs >= Math.max(newestSource(join(ROOT, "src")), newestSource(join(ROOT, "scripts")));
  built ??= fresh ? Promise.resolve() : buildRelease(RELEASE_VERSION, RELEASE_DIR);
  return built;
}
