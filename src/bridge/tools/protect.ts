/**
 * What the fs tools may never touch, whatever the configuration (docs/security.md "What the tools
 * may touch"). Decided on the path as opened: beneath.ts resolves it without following any
 * symbolic link, so these names are the real place. Compared without regard to case (macOS and
 * Windows file systems ignore it).
 * - Secret, neither read nor written: `.loom/` (loom's state and sockets), `.git/`, `.env*` (the
 *   runtime's secrets), `loom.toml` (the configuration, with its keys).
 * - Code, read but never written or deleted: what loom or an agent's interpreter runs or reads
 *   as code: `agents/`, `.venv/`, `venv/`, `node_modules/`, `__pycache__/`, files with a code
 *   extension, the package and interpreter settings files, and what the running project names
 *   (its agents' files, `[agents.*] script`, `watch` globs, a relative `command`), passed by the
 *   supervisor in LOOM_FS_PROTECT.
 */
import { envStrings } from "../../config/env-number";

const SECRET_DIRS = [".loom", ".git"];
const CODE_DIRS = ["agents", ".venv", "venv", "node_modules", "__pycache__"];
const CODE_EXTENSIONS = [".py", ".pyc", ".pyo", ".pth", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".so", ".node", ".sh", ".bash"];
const CODE_FILES = [
  "package.json",
  "package-lock.json",
  "bun.lock",
  "bun.lockb",
  "bunfig.toml",
  "tsconfig.json",
  "jsconfig.json",
  "pyproject.toml",
  "setup.py",
  "setup.cfg",
  "requirements.txt",
  ".python-version",
  "makefile",
];

export type Access = "read" | "write";

/** The reason `rel` (normalized, `/`-separated, relative to the project) is refused for `access`, or undefined. */
export function protectedReason(rel: string, access: Access, extra: readonly string[] = []): string | undefined {
  const parts = rel.toLowerCase().split("/").filter(Boolean);
  for (const p of parts) {
    if (SECRET_DIRS.includes(p)) return `${rel} is under ${p}/, which the tools never open`;
    if (p.startsWith(".env")) return `${rel} holds the runtime's secrets (.env files are never opened by the tools)`;
    if (p === "loom.toml") return `${rel} is loom's configuration, which the tools never open`;
  }
  if (access === "read") return undefined;
  const name = parts[parts.length - 1] ?? "";
  const dir = parts.slice(0, -1).find((p) => CODE_DIRS.includes(p)) ?? (CODE_DIRS.includes(name) ? name : undefined);
  if (dir) return `${rel} is under ${dir}/, code that loom or an agent runs: the tools read it but never change it`;
  if (CODE_EXTENSIONS.some((e) => name.endsWith(e)) || CODE_FILES.includes(name)) return `${rel} is code or interpreter settings: the tools read it but never change it`;
  for (const pattern of extra)
    if (pattern.toLowerCase() === rel.toLowerCase() || new Bun.Glob(pattern).match(rel))
      return `${rel} is a file this project runs or watches (${pattern}): the tools never change it`;
  return undefined;
}

/** LOOM_FS_PROTECT: a JSON array of project-relative paths and globs; anything else is none. */
export const protectedFromEnv = envStrings;
