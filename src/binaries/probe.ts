/**
 * What loom may know of a binary without running it: whether it is executable, and its SHA-256.
 * A runtime binary is never executed to learn what it is (`loom-bridge-server --version` starts
 * serving; docs/runtime-contract.md "The binary").
 */
import { accessSync, constants } from "node:fs";

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, process.platform === "win32" ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}
