/**
 * A log file that loom appends to: each line starts with the time loom read it (ISO 8601 UTC and a
 * space, logs/tail.ts parses it), so `loom logs` can interleave processes and filter by time; a
 * marker line at each start, rotation by size
 * (`x.log` -> `x.log.1` -> ... ), synchronous writes so memory never grows with output.
 * Opened with O_NOFOLLOW (a symlink planted in the logs directory is refused, never written
 * through). A write that fails (a full disk, EIO, a refused link) is dropped and reported through
 * `onError`, never thrown: the supervisor keeps supervising and keeps draining the pipes.
 */
import { closeSync, existsSync, fstatSync, renameSync, rmSync, writeSync } from "node:fs";
import { openAppendNoFollow } from "../files/private";
import { LOG_KEEP, LOG_MAX_BYTES } from "../constants";
import { stampLines } from "./stamp";
import { stampLinesWasm } from "./stamp-wasm";

export class LogFile {
  private fd = -1;
  private size = 0;
  private closed = false;
  /** The next byte written starts a line (and so gets the time). */
  private atLineStart = true;

  constructor(
    readonly path: string,
    private readonly maxBytes = LOG_MAX_BYTES,
    private readonly keep = LOG_KEEP,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.open();
  }

  private open(): void {
    try {
      this.fd = openAppendNoFollow(this.path);
      this.size = fstatSync(this.fd).size;
    } catch (error) {
      this.fd = -1;
      this.onError(error);
    }
  }

  /** Appends `data`, the time put before each line that starts in it. */
  write(data: Uint8Array | string): void {
    if (this.closed) return; // a late chunk must never land in whatever file reuses the fd
    const input = typeof data === "string" ? Buffer.from(data) : data;
    if (input.length === 0) return;
    // One time for the whole chunk: its lines were read at the same moment.
    const stamp = Buffer.from(`${new Date().toISOString()} `);
    this.atLineStart = stampLinesWasm(input, stamp, this.atLineStart, this.appendBound) ?? stampLines(input, stamp, this.atLineStart, this.appendBound);
  }

  private readonly appendBound = (bytes: Uint8Array) => this.append(bytes);

  private append(bytes: Uint8Array): void {
    try {
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
      if (this.fd < 0) return;
      writeSync(this.fd, bytes);
      this.size += bytes.length;
    } catch (error) {
      this.onError(error);
    }
  }

  marker(text: string): void {
    this.write(`${this.atLineStart ? "" : "\n"}--- loom ${new Date().toISOString()} ${text} ---\n`);
  }

  private rotate(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    if (existsSync(this.path)) renameSync(this.path, `${this.path}.1`);
    this.open();
    this.size = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch {}
  }
}
