/**
 * What the fs tools may never touch, whatever the configuration (docs/security.md "What the tools
 * may touch"). Decided on the path as opened: beneath.ts resolves it without following any
 * symbolic link, so these names are the real place. Compared without regard to case (macOS and
 * Windows file systems ignore it).
 * - Secret, neither read nor written: `.loom/` (loom's state and sockets), `.git/`, `.env*` (the
 *   runtime's secrets), `loom.toml` (the configuration, with its keys).
 * - Written only beneath the project's writable directories (`[bridge] writable`, LOOM_FS_WRITABLE;
 *   default `workspace/`): an allow-list, since no list of names can hold everything that some
 *   launched program reads as code or configuration (`.npmrc`, `bin/` of an MCP server, ...).
 * - Hidden files and directories (`.npmrc`, `.config/`): never written, even there, since a
 *   program started in that directory reads its settings from them.
 * - Code, read but never written or deleted, even there: what loom or an agent's interpreter runs or reads
 *   as code: `agents/`, `.venv/`, `venv/`, `node_modules/`, `__pycache__/`, files with a code
 *   extension, the package and interpreter settings files, and what the running project names
 *   (its agents' files, `[agents.*] script`, `watch` globs, a relative `command`), passed by the
 *   supervisor in LOOM_FS_PROTECT.
 */
import { envStrings } from "../../config/env/env-number";

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

/** Where the tools write when loom.toml does not say (upstream's deep-research app writes to workspace/). */
export const DEFAULT_WRITABLE = ["workspace"];

/** A name the tools never open and the sandbox never grants: loom's state, git, the secrets, the configuration. */
export function isSecretName(name: string): boolean {
  const p = name.toLowerCase();
  return SECRET_DIRS.includes(p) || p.startsWith(".env") || p === "loom.toml";
}

/** Whether `rel` lies strictly beneath one of `writable` (project-relative directories). */
export function beneathWritable(rel: string, writable: readonly string[]): boolean {
  const parts = rel.split("/").filter(Boolean);
  return writable.some((dir) => {
    const base = dir.split(/[\\/]+/).filter((p) => p && p !== ".");
    return base.length > 0 && parts.length > base.length && base.every((p, i) => parts[i] === p);
  });
}

/** The reason `rel` (normalized, `/`-separated, relative to the project) is refused for `access`, or undefined. */
export function protectedReason(rel: string, access: Access, extra: readonly string[] = [], writable: readonly string[] = DEFAULT_WRITABLE): string | undefined {
  const parts = rel.toLowerCase().split("/").filter(Boolean);
  for (const p of parts) {
    if (SECRET_DIRS.includes(p)) return `${rel} is under ${p}/, which the tools never open`;
    if (p.startsWith(".env")) return `${rel} holds the runtime's secrets (.env files are never opened by the tools)`;
    if (p === "loom.toml") return `${rel} is loom's configuration, which the tools never open`;
  }
  if (access === "read") return undefined;
  if (rel !== "" && !beneathWritable(rel, writable))
    return `${rel} is outside the directories the tools may write (${writable.map((d) => `${d}/`).join(", ") || "none"}); [bridge] writable in loom.toml names them`;
  const name = parts[parts.length - 1] ?? "";
  const dir = parts.slice(0, -1).find((p) => CODE_DIRS.includes(p)) ?? (CODE_DIRS.includes(name) ? name : undefined);
  if (dir) return `${rel} is under ${dir}/, code that loom or an agent runs: the tools read it but never change it`;
  if (CODE_EXTENSIONS.some((e) => name.endsWith(e)) || CODE_FILES.includes(name)) return `${rel} is code or interpreter settings: the tools read it but never change it`;
  // Dot files and directories are where tools keep their settings (.npmrc, .yarnrc, .pypirc,
  // .config/): a process started in a writable directory would read them.
  const dotted = rel.split("/").find((p) => p.startsWith("."));
  if (dotted) return `${rel} is a hidden file or directory (${dotted}), where programs read their settings: the tools never write one`;
  for (const pattern of extra)
    if (pattern.toLowerCase() === rel.toLowerCase() || new Bun.Glob(pattern).match(rel))
      return `${rel} is a file this project runs or watches (${pattern}): the tools never change it`;
  return undefined;
}

/** LOOM_FS_PROTECT: a JSON array of project-relative paths and globs; anything else is none. */
export const protectedFromEnv = envStrings;

/** LOOM_FS_WRITABLE: a JSON array of project-relative directories; unset is the default. */
export function writableFromEnv(value: string | undefined): string[] {
  return value === undefined || value === "" ? [...DEFAULT_WRITABLE] : envStrings(value);
}
