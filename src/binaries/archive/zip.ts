/**
 * Extraction of one executable from a .zip (the Windows release format), by its central
 * directory. Same rules as tar.ts: every name is checked, links are refused, only the expected
 * entry is written.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { LoomError } from "../../errors";
import { checkEntry, entryLimit, refuseArchive } from "./archive-entry";

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

export async function extractZipEntry(archive: string, entryName: string | string[], destFile: string): Promise<void> {
  try {
    await extract(archive, entryName, destFile);
  } catch (error) {
    if (error instanceof LoomError) throw error;
    refuseArchive(archive, `it is not a valid .zip (${(error as Error).message})`);
  }
}

async function extract(archive: string, entryNames: string | string[], destFile: string): Promise<void> {
  const names = [entryNames].flat();
  const entryName = names.join(" or ");
  const file = Bun.file(archive);
  const size = file.size;
  const tailLength = Math.min(size, 65_557);
  const tail = new DataView(await file.slice(size - tailLength).arrayBuffer());
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--)
    if (tail.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  if (eocd < 0) refuseArchive(archive, "it is not a zip archive");
  const count = tail.getUint16(eocd + 10, true);
  const cdSize = tail.getUint32(eocd + 12, true);
  const cdOffset = tail.getUint32(eocd + 16, true);
  const cd = new DataView(await file.slice(cdOffset, cdOffset + cdSize).arrayBuffer());
  let found: { method: number; compressed: number; size: number; local: number } | undefined;
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (cd.getUint32(at, true) !== CENTRAL) refuseArchive(archive, "its central directory is corrupt");
    const madeBy = cd.getUint16(at + 4, true) >> 8;
    const method = cd.getUint16(at + 10, true);
    const compressed = cd.getUint32(at + 20, true);
    const uncompressed = cd.getUint32(at + 24, true);
    const nameLength = cd.getUint16(at + 28, true);
    const extraLength = cd.getUint16(at + 30, true);
    const commentLength = cd.getUint16(at + 32, true);
    const unixMode = cd.getUint32(at + 38, true) >>> 16;
    const local = cd.getUint32(at + 42, true);
    const name = new TextDecoder().decode(new Uint8Array(cd.buffer, at + 46, nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    const type = madeBy === 3 ? unixMode & S_IFMT : 0; // 3 = Unix: the mode says what the entry is
    const isDir = name.endsWith("/") || type === S_IFDIR;
    const kind = type === S_IFLNK ? "link" : isDir ? "directory" : type === 0 || type === S_IFREG ? "file" : "special";
    const path = checkEntry(archive, name, kind);
    if (kind !== "file" || !names.includes(path)) continue;
    if (found) refuseArchive(archive, `it contains ${entryName} twice`);
    found = { method, compressed, size: uncompressed, local };
  }
  if (!found) refuseArchive(archive, `it has no executable named ${entryName} at its root`);
  const header = new DataView(await file.slice(found.local, found.local + 30).arrayBuffer());
  if (header.getUint32(0, true) !== LOCAL) refuseArchive(archive, "a local header is corrupt");
  const start = found.local + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  if (found.method !== 0 && found.method !== 8) refuseArchive(archive, `${entryName} uses an unsupported compression method (${found.method})`);
  const limit = entryLimit(size);
  if (found.size > limit) refuseArchive(archive, `${entryName} says it is ${found.size} bytes, more than loom accepts (${limit})`);
  // Inflated as it streams: memory stays flat whatever the entry's size (it held the whole entry before).
  const raw = file.slice(start, start + found.compressed).stream();
  const stream = found.method === 8 ? raw.pipeThrough(new DecompressionStream("deflate-raw")) : raw;
  const fd = openSync(destFile, "wx", 0o755);
  let written = 0;
  try {
    for await (const chunk of stream) {
      written += chunk.length;
      if (written > limit) refuseArchive(archive, `${entryName} inflates to more than ${limit} bytes`);
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
    }
  } finally {
    closeSync(fd);
  }
  if (written !== found.size) refuseArchive(archive, `${entryName} is ${written} bytes, not the ${found.size} its directory says`);
}
