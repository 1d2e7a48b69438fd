/**
 * Where a project's Unix sockets live (the control channel, the embedded Bridge's agent socket):
 * in its private `.loom/` when the path fits a socket address (sun_path holds 108 bytes on Linux,
 * 104 on macOS), else in a private directory of the user's, named by a hash of the project path:
 * `$XDG_RUNTIME_DIR/loom/`, `$TMPDIR/loom-<uid>/` or `~/.loom-sockets/`, made 0700; one that
 * exists and is not the user's own is passed over (files/private.ts checks the one taken). Both
 * ends compute the same path from the project root.
 */
import { sha256Hex } from "../system/random";
import { lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import { privateDir } from "./private";

/** Bytes a socket path may take here (the smallest sun_path, less its terminating NUL, with margin). */
export const MAX_SOCKET_PATH = 100;

function fits(path: string): boolean {
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH;
}

/** Whether `dir` is free to take or already the user's own real directory (never another user's squat). */
function usable(dir: string, uid: number): boolean {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  return !st || (st.isDirectory() && !st.isSymbolicLink() && st.uid === uid);
}

/**
 * The short private directory for projects whose own path is too long; undefined when none fits.
 * In the shared TMPDIR another user may create `loom-<uid>` first: then the next candidate, in
 * the user's home, which nobody else can write. Both ends skip the same way.
 */
function shortDir(env: Record<string, string | undefined>): string | undefined {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const candidates = [
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "loom") : undefined,
    join(env.TMPDIR || tmpdir(), `loom-${uid}`),
    env.HOME ? join(env.HOME, ".loom-sockets") : undefined,
  ];
  for (const dir of candidates) if (dir && fits(join(dir, "0123456789abcdef-control.sock")) && usable(dir, uid)) return dir;
  return undefined;
}

/**
 * The path of socket `name` of the project at `root` (its `.loom/` is `stateDir`), or undefined
 * when no private place gives a short enough path. `create` makes the fallback directory.
 */
export function socketPath(root: string, stateDir: string, name: string, options: { create?: boolean; env?: Record<string, string | undefined> } = {}): string | undefined {
  const own = join(root, stateDir, name);
  if (fits(own) || process.platform === "win32") return own;
  const dir = shortDir(options.env ?? process.env);
  if (!dir) return undefined;
  if (options.create) privateDir(dir, "loom's socket directory");
  const hash = sha256Hex(root).slice(0, 16);
  return join(dir, `${hash}-${name}`);
}
