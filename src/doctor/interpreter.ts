/** Where an interpreter really is: doctor never runs one that is a file of the project (docs/security.md). */
import { realpathSync } from "node:fs";
import { isAbsolute, relative } from "pathe";

export function realInterpreter(python: string): string | undefined {
  const found = python.includes("/") ? python : Bun.which(python);
  try {
    return found ? realpathSync(found) : undefined;
  } catch {
    return undefined;
  }
}

export function isBeneath(path: string, root: string): boolean {
  const rel = relative(realpathSync(root), path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}
