/** The rules every archive entry must pass before anything is written (tar and zip alike). */
import { LoomError } from "../../errors";
import { tampered } from "../alarm";

export type EntryKind = "file" | "directory" | "link" | "special";

function refuse(archive: string, reason: string): never {
  throw tampered(
    new LoomError("VERIFY", `refusing to extract ${archive}: ${reason}`, {
      hint: "the archive does not look like a Loom runtime release; check LOOM_DOWNLOAD_BASE_URL and report it if it came from the official release; `--runtime embedded` runs the Bridge inside loom meanwhile",
    }),
  );
}

/**
 * Returns the entry's safe relative path ("" for the archive root), or refuses the whole archive:
 * absolute paths, `..`, drive letters, backslashes, links and device files are never extracted.
 */
export function checkEntry(archive: string, rawName: string, kind: EntryKind): string {
  if (kind === "link") refuse(archive, `it contains a link (${rawName})`);
  if (kind === "special") refuse(archive, `it contains a device, fifo or unknown entry (${rawName})`);
  if (rawName.includes("\0")) refuse(archive, "an entry name contains a NUL byte");
  if (rawName.startsWith("/") || /^[A-Za-z]:/.test(rawName) || rawName.includes("\\")) refuse(archive, `entry ${JSON.stringify(rawName)} has an absolute or Windows path`);
  const parts = rawName.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) refuse(archive, `entry ${JSON.stringify(rawName)} points outside the archive`);
  return parts.join("/");
}

export function refuseArchive(archive: string, reason: string): never {
  refuse(archive, reason);
}

/** No runtime is anywhere near this big; a larger entry is a bomb or a mistake. */
export const MAX_ENTRY_BYTES = 1024 ** 3;
/** Pax and GNU long-name records hold a path, not data. */
export const MAX_META_BYTES = 64 * 1024;

/** The largest entry loom extracts from an archive of `archiveBytes`: 1 GiB, or 8 times a larger archive. */
export function entryLimit(archiveBytes: number): number {
  return Math.max(MAX_ENTRY_BYTES, 8 * archiveBytes);
}
