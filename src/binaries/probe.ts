/** Asking a binary what it is: `<binary> --version` prints `<name> <version>`. */
import { accessSync, constants } from "node:fs";
import { parseVersionOutput } from "./versions";

export const VERSION_TIMEOUT_MS = 10_000;

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, process.platform === "win32" ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface VersionProbe {
  version?: string;
  output: string;
  ok: boolean;
}

export function probeVersion(path: string): VersionProbe {
  try {
    const r = Bun.spawnSync([path, "--version"], { stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: VERSION_TIMEOUT_MS });
    const output = (r.stdout.toString() + r.stderr.toString()).trim();
    return { ok: r.exitCode === 0, output, version: r.exitCode === 0 ? parseVersionOutput(r.stdout.toString()) : undefined };
  } catch (error) {
    return { ok: false, output: (error as Error).message };
  }
}

export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}
