/**
 * Which `loom` a user gets by typing `loom`: upstream's Python SDK installs a console script of the
 * same name, and whichever comes first on PATH hides the other. Files are read, never run.
 */
import { accessSync, constants, openSync, readSync, closeSync, realpathSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface FoundLoom {
  path: string;
  /** Upstream's Python CLI (a script whose interpreter is Python), this very loom, or another. */
  kind: "python-sdk" | "this" | "other";
}

function head(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(256);
    return buffer.subarray(0, readSync(fd, buffer, 0, 256, 0)).toString("latin1");
  } finally {
    closeSync(fd);
  }
}

/** Every `loom` on PATH, in PATH's order (the first is what typing `loom` runs). */
export function loomsOnPath(self: string, env: Record<string, string | undefined> = process.env): FoundLoom[] {
  const me = (() => {
    try {
      return realpathSync(self);
    } catch {
      return self;
    }
  })();
  const seen = new Set<string>();
  const found: FoundLoom[] = [];
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const path = join(dir, process.platform === "win32" ? "loom.exe" : "loom");
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      const real = realpathSync(path);
      if (seen.has(real)) continue;
      seen.add(real);
      const text = head(path);
      found.push({ path, kind: real === me ? "this" : /^#!.*python/.test(text) ? "python-sdk" : "other" });
    } catch {}
  }
  return found;
}

/** A warning when another `loom` hides this one, or this one hides upstream's; undefined when neither. */
export function shadowWarning(self: string, env: Record<string, string | undefined> = process.env): { detail: string; fix: string } | undefined {
  const found = loomsOnPath(self, env);
  const first = found[0];
  const other = found.find((f) => f.kind !== "this");
  if (!first || !other) return undefined;
  const what = (f: FoundLoom) => (f.kind === "python-sdk" ? `upstream's Python CLI (${f.path})` : `another loom (${f.path})`);
  if (first.kind !== "this")
    return {
      detail: `typing \`loom\` runs ${what(first)}, not this loom (${self})`,
      fix: `put ${self.replace(/\/[^/]*$/, "")} before ${first.path.replace(/\/[^/]*$/, "")} on PATH, or run this one by its path`,
    };
  return {
    detail: `this loom comes first on PATH and hides ${what(other)}`,
    fix:
      other.kind === "python-sdk"
        ? "its `chat` and `proto` work here too (`loom chat`, `loom proto` run the SDK); anything else of it: `python -m loom.cli.main ...`"
        : `run the other by its path (${other.path}), or remove it`,
  };
}
