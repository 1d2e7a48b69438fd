/**
 * fs:read_file, fs:write_file, fs:list_dir and fs:delete, confined to the project directory
 * (docs/security.md "What the tools may touch"): a path is relative to it; what is opened is
 * found without following any symbolic link and must have one name (beneath.ts); loom's state,
 * configuration and secrets are never opened, and code is never changed (protect.ts). Argument
 * names and outputs are upstream's.
 */
import { closeSync, constants, fchmodSync, ftruncateSync, readSync, writeSync } from "node:fs";
import { READ_FILE_BYTES } from "../limits";
import { Beneath, components } from "./beneath";
import { type Access, DEFAULT_WRITABLE, protectedReason } from "./protect";
import { type Tool, ToolFailure } from "./tool-registry";
import { defineTool, required, z } from "./schema";

/** Bigger files are refused rather than read into the Bridge's memory (and past one reply). */
export const READ_LIMIT = READ_FILE_BYTES;

const path = (description: string) => required("Missing 'path' argument", description);

export class Workspace {
  readonly files: Beneath;

  /**
   * `protect`: project-relative paths and globs the tools must not change (LOOM_FS_PROTECT);
   * `writable`: the directories they may write beneath (LOOM_FS_WRITABLE).
   */
  constructor(
    readonly root: string,
    readonly protect: readonly string[] = [],
    readonly writable: readonly string[] = DEFAULT_WRITABLE,
  ) {
    this.files = new Beneath(root);
  }

  /** The components of `given`, once the protection rules allow `access` to it. */
  check(given: string, access: Access): string[] {
    const parts = components(given);
    const why = protectedReason(parts.join("/"), access, this.protect, this.writable);
    if (why) throw new ToolFailure("denied", why);
    return parts;
  }
}

function readAll(fd: number, size: number): string {
  const buffer = Buffer.allocUnsafe(size);
  let at = 0;
  for (let n = 1; n > 0 && at < size; at += n) n = readSync(fd, buffer, at, size - at, null);
  return buffer.subarray(0, at).toString("utf8");
}

export function fsTools(workspace: Workspace): Tool[] {
  const { files } = workspace;
  return [
    defineTool({
      name: "fs:read_file",
      description: "Read the contents of a file from the workspace",
      args: z.object({ path: path("Relative path to the file") }),
      async call({ path: given }) {
        const parts = workspace.check(given, "read");
        if (parts.length === 0) throw new ToolFailure("failed", `${given} is not a regular file`);
        const { fd, stats } = await files.openFile(parts, given, constants.O_RDONLY).catch((e: ToolFailure) => {
          throw e.kind === "not_found" ? new ToolFailure("not_found", `File not found: ${given}`) : e;
        });
        try {
          if (stats.size > READ_LIMIT) throw new ToolFailure("failed", `${given} is ${stats.size} bytes, over the ${READ_LIMIT}-byte limit`);
          return { content: readAll(fd, stats.size) };
        } finally {
          closeSync(fd);
        }
      },
    }),
    defineTool({
      name: "fs:write_file",
      description: "Write content to a file in the workspace (creates parent directories if needed)",
      args: z.object({ path: path("Relative path to the file"), content: z.string({ error: "Missing 'content' argument" }).describe("Content to write") }),
      async call({ path: given, content }) {
        const parts = workspace.check(given, "write");
        if (parts.length === 0) throw new ToolFailure("failed", `${given} is the project directory`);
        // Not O_TRUNC: the file's links are counted before anything of it changes.
        const { fd, stats } = await files.openFile(parts, given, constants.O_WRONLY | constants.O_CREAT, true);
        try {
          // What a tool writes is data: an exec bit it found is taken away, never kept.
          if (stats.mode & 0o111) fchmodSync(fd, stats.mode & 0o666);
          ftruncateSync(fd, 0);
          const bytes = Buffer.from(content);
          for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
          return { success: true, path: given, bytes_written: bytes.length };
        } catch (e) {
          throw new ToolFailure("failed", `Failed to write file: ${(e as Error).message}`);
        } finally {
          closeSync(fd);
        }
      },
    }),
    defineTool({
      name: "fs:list_dir",
      description: "List files and directories in a workspace path",
      args: z.object({ path: path("Relative path to the directory (default: workspace root)").default(".") }),
      async call({ path: given }) {
        const parts = workspace.check(given, "read");
        const entries = await files.list(parts, given).catch((e: ToolFailure) => {
          throw e.kind === "not_found" ? new ToolFailure("not_found", `Directory not found: ${given}`) : e;
        });
        // loom's private state is not the agents' to see.
        return { path: given, entries: parts.length === 0 ? entries.filter((e) => e.name !== ".loom") : entries };
      },
    }),
    defineTool({
      name: "fs:delete",
      description: "Delete a file or empty directory in the workspace",
      args: z.object({ path: path("Relative path to the file or directory") }),
      async call({ path: given }) {
        const parts = workspace.check(given, "write");
        if (parts.length === 0) throw new ToolFailure("denied", "the project directory itself cannot be deleted");
        const { wasDirectory } = await files.remove(parts, given);
        return { success: true, path: given, was_directory: wasDirectory };
      },
    }),
  ];
}
