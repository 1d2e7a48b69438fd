/**
 * Streaming extraction of one executable from a .tar.gz. Written by hand rather than with
 * Bun.Archive because Bun.Archive (1.4.5) holds the whole archive in memory (measured: 416 MB peak
 * for a 200 MB asset), rewrites `../x` and `/abs` entries instead of refusing them, and follows
 * symlinks already in the target. This reader keeps memory flat, checks every entry name
 * (archive-entry.ts) and writes only the expected file, exclusively, into a fresh directory.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { LoomError } from "../../errors";
import { MAX_META_BYTES, checkEntry, entryLimit, refuseArchive, type EntryKind } from "./archive-entry";

const BLOCK = 512;

/** Byte reader over an async stream that hands out exact-length slices. */
class Reader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private done = false;
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      const { value, done } = await this.source.next();
      if (done) this.done = true;
      else if (value.length) {
        this.chunks.push(value);
        this.buffered += value.length;
      }
    }
  }

  /** Exactly n bytes, or fewer at the end of the stream. */
  async read(n: number): Promise<Uint8Array> {
    await this.fill(n);
    const out = new Uint8Array(Math.min(n, this.buffered));
    let offset = 0;
    while (offset < out.length) {
      const head = this.chunks[0]!;
      const take = Math.min(head.length, out.length - offset);
      out.set(head.subarray(0, take), offset);
      offset += take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    this.buffered -= out.length;
    return out;
  }

  /** Passes `n` bytes to `sink` in pieces, never holding more than one source chunk. */
  async pipe(n: number, sink: (piece: Uint8Array) => void): Promise<number> {
    let left = n;
    while (left > 0) {
      await this.fill(1);
      if (this.buffered === 0) break;
      const piece = await this.read(Math.min(left, this.chunks[0]!.length));
      sink(piece);
      left -= piece.length;
    }
    return n - left;
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).replace(/\0.*$/s, "");

function octal(field: Uint8Array): number {
  if (field[0]! & 0x80) {
    // base-256 (GNU) for large sizes
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = text(field).trim();
  return s === "" ? 0 : parseInt(s, 8);
}

function checksumOk(header: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum === octal(header.subarray(148, 156));
}

function kindOf(type: string): EntryKind | "meta" {
  if (type === "0" || type === "\0" || type === "" || type === "7") return "file";
  if (type === "5") return "directory";
  if (type === "1" || type === "2") return "link";
  if (type === "x" || type === "g" || type === "L" || type === "K") return "meta";
  return "special";
}

function paxPath(records: string): string | undefined {
  let path: string | undefined;
  for (const m of records.matchAll(/^\d+ ([^=]+)=(.*)$/gm)) if (m[1] === "path") path = m[2];
  return path;
}

/**
 * Streams `archive` (.tar.gz) and writes the entry named `entryName` (at the archive root) to
 * `destFile` with mode 0755. Refuses the archive if any entry is unsafe, if the entry appears
 * twice, or if it is missing.
 */
export async function extractTarGzEntry(archive: string, entryName: string | string[], destFile: string): Promise<void> {
  try {
    await extract(archive, entryName, destFile);
  } catch (error) {
    if (error instanceof LoomError) throw error;
    refuseArchive(archive, `it is not a valid .tar.gz (${(error as Error).message})`);
  }
}

async function extract(archive: string, entryNames: string | string[], destFile: string): Promise<void> {
  const names = [entryNames].flat();
  const entryName = names.join(" or ");
  const file = Bun.file(archive);
  const limit = entryLimit(file.size);
  const stream = file.stream().pipeThrough(new DecompressionStream("gzip"));
  const reader = new Reader(stream[Symbol.asyncIterator]());
  let found = false;
  let nextName: string | undefined;
  let entries = 0;
  for (;;) {
    const header = await reader.read(BLOCK);
    if (header.length < BLOCK) {
      if (entries === 0) refuseArchive(archive, "it is not a tar archive");
      break; // tolerate archives without the two closing zero blocks
    }
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) refuseArchive(archive, "a tar header is corrupt");
    entries++;
    const type = String.fromCharCode(header[156]!);
    const size = octal(header.subarray(124, 136));
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    const kind = kindOf(type);
    if (kind === "meta") {
      if (size > MAX_META_BYTES) refuseArchive(archive, `a ${size}-byte name record is not a file name`);
      const body = await reader.read(padded);
      if (type === "x") nextName = paxPath(text(body.subarray(0, size))) ?? nextName;
      if (type === "L") nextName = text(body.subarray(0, size));
      continue;
    }
    const prefix = text(header.subarray(345, 500));
    const name = nextName ?? (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
    nextName = undefined;
    const path = checkEntry(archive, name, kind);
    if (kind === "file" && names.includes(path)) {
      if (found) refuseArchive(archive, `it contains ${entryName} twice`);
      if (size > limit) refuseArchive(archive, `${entryName} says it is ${size} bytes, more than loom accepts (${limit})`);
      found = true;
      const fd = openSync(destFile, "wx", 0o755);
      try {
        const written = await reader.pipe(size, (piece) => writeSync(fd, piece));
        if (written < size) refuseArchive(archive, `${entryName} is cut short`);
      } finally {
        closeSync(fd);
      }
      await reader.read(padded - size);
    } else {
      if (kind === "directory" && size > 0) refuseArchive(archive, `directory entry ${name} has content`);
      await reader.pipe(padded, () => {}); // skip other plain files and directories
    }
  }
  if (!found) refuseArchive(archive, `it has no executable named ${entryName} at its root`);
}
