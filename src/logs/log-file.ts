/**
 * A log file that loom appends to: each line starts with the time loom read it (ISO 8601 UTC and a
 * space, log-tail.ts parses it), so `loom logs` can interleave processes and filter by time; a
 * marker line at each start, rotation by size
 * (`x.log` -> `x.log.1` -> ... ), synchronous writes so memory never grows with output.
 * Opened with O_NOFOLLOW (a symlink planted in the logs directory is refused, never written
 * through). A write that fails (a full disk, EIO, a refused link) is dropped and reported through
 * `onError`, never thrown: the supervisor keeps supervising and keeps draining the pipes.
 */
import { closeSync, existsSync, fstatSync, renameSync, rmSync, writeSync } from "node:fs";
import { openAppendNoFollow } from "../files/private";
import { LOG_KEEP, LOG_MAX_BYTES } from "../constants";

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
    const input = typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (input.length === 0) return;
    // One time for the whole chunk (read at once); the lines are counted first so the output is
    // one allocation (a string-based replaceAll was no faster and doubled the peak memory).
    const stamp = Buffer.from(`${new Date().toISOString()} `);
    let starts = this.atLineStart ? 1 : 0;
    for (let i = input.indexOf(10); i >= 0 && i < input.length - 1; i = input.indexOf(10, i + 1)) starts++;
    const out = starts === 0 ? input : Buffer.allocUnsafe(input.length + starts * stamp.length);
    if (starts > 0) {
      let at = 0;
      let o = 0;
      while (at < input.length) {
        if (this.atLineStart) o += stamp.copy(out, o);
        const newline = input.indexOf(10, at);
        const end = newline < 0 ? input.length : newline + 1;
        o += input.copy(out, o, at, end);
        this.atLineStart = newline >= 0;
        at = end;
      }
    } else this.atLineStart = input[input.length - 1] === 10; // a chunk that only ends a line
    this.append(out);
  }

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
