/**
 * fs:read_file, fs:write_file, fs:list_dir and fs:delete, confined to the project directory: a
 * path is relative to it; an absolute path, a `..` that leaves it, a symbolic link that points out
 * of it, or anything under `.loom/` (loom's private state) is refused with "Permission denied".
 * Writes never follow a symbolic link at the file itself (O_NOFOLLOW). Argument names and outputs
 * are upstream's.
 */
import { constants, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type Args, type Tool, ToolFailure } from "./registry";

/** Bigger files are refused rather than read into the Bridge's memory. */
export const READ_LIMIT = 16 * 1024 * 1024;

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function pathArg(args: Args, fallback?: string): string {
  const value = args.path ?? fallback;
  if (typeof value !== "string" || value === "") throw new ToolFailure("invalid", "Missing 'path' argument");
  if (value.includes("\0")) throw new ToolFailure("invalid", "'path' contains a NUL byte");
  return value;
}

/** The deepest existing ancestor of `path` (itself when it exists), resolved through links. */
async function realAncestor(path: string): Promise<string> {
  let at = path;
  for (;;) {
    try {
      return await realpath(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" || dirname(at) === at) throw e;
      at = dirname(at);
    }
  }
}

export class Workspace {
  private realRoot?: string;

  constructor(readonly root: string) {}

  /** The absolute path for `given`, once it is proved to stay inside the project. */
  async confine(given: string): Promise<string> {
    if (isAbsolute(given)) throw new ToolFailure("denied", `${given} is absolute; paths are relative to the project directory`);
    const path = resolve(this.root, given);
    if (!inside(this.root, path)) throw new ToolFailure("denied", `${given} is outside the project directory`);
    const rel = relative(this.root, path);
    if (rel === ".loom" || rel.startsWith(`.loom${sep}`)) throw new ToolFailure("denied", `${given} is loom's private state`);
    this.realRoot ??= await realpath(this.root);
    if (!inside(this.realRoot, await realAncestor(path))) throw new ToolFailure("denied", `${given} leads out of the project directory through a symbolic link`);
    return path;
  }
}

async function existing(path: string, given: string, what: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch {
    throw new ToolFailure("not_found", `${what} not found: ${given}`);
  }
}

export function fsTools(workspace: Workspace): Tool[] {
  const pathSchema = (description: string) => ({ type: "string", description });
  return [
    {
      name: "fs:read_file",
      description: "Read the contents of a file from the workspace",
      parameters: { type: "object", properties: { path: pathSchema("Relative path to the file") }, required: ["path"] },
      async call(args) {
        const given = pathArg(args);
        const path = await workspace.confine(given);
        const info = await existing(path, given, "File");
        if (!info.isFile()) throw new ToolFailure("failed", `${given} is not a regular file`);
        if (info.size > READ_LIMIT) throw new ToolFailure("failed", `${given} is ${info.size} bytes, over the ${READ_LIMIT}-byte limit`);
        return { content: await Bun.file(path).text() };
      },
    },
    {
      name: "fs:write_file",
      description: "Write content to a file in the workspace (creates parent directories if needed)",
      parameters: {
        type: "object",
        properties: { path: pathSchema("Relative path to the file"), content: { type: "string", description: "Content to write" } },
        required: ["path", "content"],
      },
      async call(args) {
        const given = pathArg(args);
        if (typeof args.content !== "string") throw new ToolFailure("invalid", "Missing 'content' argument");
        const path = await workspace.confine(given);
        await mkdir(dirname(path), { recursive: true });
        await workspace.confine(given); // the directories just made may not be swapped for links
        const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644).catch((e: NodeJS.ErrnoException) => {
          throw new ToolFailure(e.code === "ELOOP" ? "denied" : "failed", e.code === "ELOOP" ? `${given} is a symbolic link` : `Failed to write file: ${e.message}`);
        });
        try {
          await file.writeFile(args.content);
        } finally {
          await file.close();
        }
        return { success: true, path: given, bytes_written: Buffer.byteLength(args.content) };
      },
    },
    {
      name: "fs:list_dir",
      description: "List files and directories in a workspace path",
      parameters: { type: "object", properties: { path: pathSchema("Relative path to the directory (default: workspace root)") }, required: [] },
      async call(args) {
        const given = pathArg(args, ".");
        const path = await workspace.confine(given);
        await existing(path, given, "Directory");
        const entries = await Promise.all(
          (await readdir(path))
            .filter((name) => !(name === ".loom" && path === workspace.root)) // loom's private state is not the agents'
            .map(async (name) => {
              const info = await lstat(join(path, name)).catch(() => undefined); // a link is listed as itself, never what it points to
              return { name, is_dir: info?.isDirectory() ?? false, size: info?.size ?? 0 };
            }),
        );
        return { path: given, entries };
      },
    },
    {
      name: "fs:delete",
      description: "Delete a file or empty directory in the workspace",
      parameters: { type: "object", properties: { path: pathSchema("Relative path to the file or directory") }, required: ["path"] },
      async call(args) {
        const given = pathArg(args);
        if (resolve(workspace.root, given) === resolve(workspace.root)) throw new ToolFailure("denied", "the project directory itself cannot be deleted");
        const path = await workspace.confine(given);
        // lstat: a link is deleted itself, never what it points to.
        const info = await lstat(path).catch(() => {
          throw new ToolFailure("not_found", `Path not found: ${given}`);
        });
        const isDir = info.isDirectory();
        await (isDir ? rmdir(path) : unlink(path)).catch((e: Error) => {
          throw new ToolFailure("failed", `Failed to remove ${isDir ? "directory" : "file"}: ${e.message}`);
        });
        return { success: true, path: given, was_directory: isDir };
      },
    },
  ];
}
