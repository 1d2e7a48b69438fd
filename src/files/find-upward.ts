/**
 * The upward search for loom.toml and .env: from a directory to the filesystem root, stopping at
 * a directory owned by another user (its files are not the user's to trust, nor are its parents'
 * on the user's behalf). A file found in a directory that others may write is refused.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "pathe";
import { assertTrusted, ownedByStranger } from "./trust";

export function findUpward(start: string, name: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st || ownedByStranger(st)) return undefined;
    const candidate = join(dir, name);
    if (existsSync(candidate)) {
      assertTrusted(dir, st, `the directory of ${name}`);
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
