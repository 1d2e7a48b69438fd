/**
 * Opening files beneath the project directory, decided on what is opened rather than on a path's
 * text (docs/security.md "What the tools may touch"). Linux: a walk from a descriptor of the root,
 * one component at a time, each opened through `/proc/self/fd/<dir>/<name>` with O_NOFOLLOW, so
 * the kernel never follows a symbolic link at any component, and a directory swapped for a link
 * between two steps fails the next step instead of leading out. Files with more than one hard
 * link are refused: another name of the same file may be a secret or lie outside. FIFOs and
 * devices are refused (O_NONBLOCK, then fstat). Where there is no /proc (macOS), a check of the
 * resolved path stands in, with the race that the docs describe.
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, type Stats } from "node:fs";
import { lstat, mkdir, readdir, rmdir, unlink } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { ToolFailure } from "./tool-registry";

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;
const CLOEXEC = (constants as Record<string, number>).O_CLOEXEC ?? 0;

/** `given` as components beneath the root ([] for the root), or a refusal. */
export function components(given: string): string[] {
  if (given.includes("\0")) throw new ToolFailure("invalid", "'path' contains a NUL byte");
  if (isAbsolute(given) || /^[A-Za-z]:[\\/]/.test(given)) throw new ToolFailure("denied", `${given} is absolute; paths are relative to the project directory`);
  const out: string[] = [];
  for (const part of given.split(/[\\/]+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) throw new ToolFailure("denied", `${given} is outside the project directory`);
      out.pop();
    } else out.push(part);
  }
  return out;
}

function refusal(given: string, e: NodeJS.ErrnoException): ToolFailure {
  if (e instanceof ToolFailure) return e;
  if (e.code === "ELOOP" || e.code === "EMLINK") return new ToolFailure("denied", `${given} passes through a symbolic link; the tools never follow links`);
  if (e.code === "ENOENT" || e.code === "ENOTDIR") return new ToolFailure("not_found", `Path not found: ${given}`);
  return new ToolFailure("failed", `${given}: ${e.code ?? e.message}`);
}

/** A directory proved to be beneath the root: `path` names it (a /proc descriptor link on Linux). */
interface DirRef {
  path: string;
  close(): void;
}

export interface OpenedFile {
  fd: number;
  stats: Stats;
}

export class Beneath {
  private rootFd?: number;
  /** Linux with /proc: descriptor walks; elsewhere the resolved-path check. */
  readonly walks = process.platform === "linux" && existsSync("/proc/self/fd");

  constructor(readonly root: string) {}

  /** The directory `parts`; `create` makes what is missing on the way. The caller closes it. */
  async openDir(parts: string[], given: string, create = false): Promise<DirRef> {
    if (!this.walks) return this.resolvedDir(parts, given, create);
    this.rootFd ??= openSync(this.root, constants.O_RDONLY | DIRECTORY | CLOEXEC);
    let fd = openSync(`/proc/self/fd/${this.rootFd}`, constants.O_RDONLY | DIRECTORY | CLOEXEC);
    try {
      for (const part of parts) {
        const path = `/proc/self/fd/${fd}/${part}`;
        if (create)
          await mkdir(path, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== "EEXIST") throw e;
          });
        let next: number;
        try {
          next = openSync(path, constants.O_RDONLY | DIRECTORY | NOFOLLOW | CLOEXEC);
        } catch (e) {
          // O_DIRECTORY on a link reports ENOTDIR: say which it was.
          if ((e as NodeJS.ErrnoException).code === "ENOTDIR" && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink())
            throw Object.assign(new Error("link"), { code: "ELOOP" });
          throw e;
        }
        closeSync(fd);
        fd = next;
      }
    } catch (e) {
      closeSync(fd);
      throw refusal(given, e as NodeJS.ErrnoException);
    }
    return { path: `/proc/self/fd/${fd}`, close: () => closeSync(fd) };
  }

  /** Opens file `parts` with `flags`: a regular file with one link, or a refusal. The caller closes `fd`. */
  async openFile(parts: string[], given: string, flags: number, create = false): Promise<OpenedFile> {
    const dir = await this.openDir(parts.slice(0, -1), given, create);
    let fd: number;
    try {
      fd = openSync(join(dir.path, parts[parts.length - 1]!), flags | NOFOLLOW | NONBLOCK | CLOEXEC, 0o644);
    } catch (e) {
      throw refusal(given, e as NodeJS.ErrnoException);
    } finally {
      dir.close();
    }
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.nlink > 1) {
      closeSync(fd);
      throw stats.isFile()
        ? new ToolFailure("denied", `${given} has ${stats.nlink} hard links; the tools open only files with one name`)
        : new ToolFailure("failed", `${given} is not a regular file`);
    }
    return { fd, stats };
  }

  /** The entries of directory `parts`, links listed as themselves. */
  async list(parts: string[], given: string): Promise<{ name: string; is_dir: boolean; size: number }[]> {
    const dir = await this.openDir(parts, given);
    try {
      const names = await readdir(dir.path);
      return await Promise.all(
        names.map(async (name) => {
          const info = await lstat(join(dir.path, name)).catch(() => undefined);
          return { name, is_dir: info?.isDirectory() ?? false, size: info?.size ?? 0 };
        }),
      );
    } catch (e) {
      throw refusal(given, e as NodeJS.ErrnoException);
    } finally {
      dir.close();
    }
  }

  /** Removes the file, link or empty directory `parts` (never what a link points to). */
  async remove(parts: string[], given: string): Promise<{ wasDirectory: boolean }> {
    const dir = await this.openDir(parts.slice(0, -1), given);
    const path = join(dir.path, parts[parts.length - 1]!);
    try {
      const info = await lstat(path).catch((e: NodeJS.ErrnoException) => {
        throw refusal(given, e);
      });
      const isDir = info.isDirectory();
      await (isDir ? rmdir(path) : unlink(path)).catch((e: Error) => {
        throw new ToolFailure("failed", `Failed to remove ${isDir ? "directory" : "file"}: ${e.message}`);
      });
      return { wasDirectory: isDir };
    } finally {
      dir.close();
    }
  }

  /**
   * Without /proc: the same rule (no symbolic link at any component) checked with lstat before the
   * use, which a process swapping a directory for a link in between can beat (docs/security.md).
   */
  private async resolvedDir(parts: string[], given: string, create: boolean): Promise<DirRef> {
    let path = this.root;
    for (const part of parts) {
      path = join(path, part);
      if (create)
        await mkdir(path, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== "EEXIST") throw refusal(given, e);
        });
      const info = await lstat(path).catch((e: NodeJS.ErrnoException) => {
        throw refusal(given, e);
      });
      if (info.isSymbolicLink()) throw refusal(given, Object.assign(new Error("link"), { code: "ELOOP" }));
      if (!info.isDirectory()) throw refusal(given, Object.assign(new Error("not a directory"), { code: "ENOTDIR" }));
    }
    return { path, close: () => {} };
  }
}
