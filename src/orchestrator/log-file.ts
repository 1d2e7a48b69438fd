/**
 * A log file that loom appends to: a marker line at each start, rotation by size
 * (`x.log` -> `x.log.1` -> ... ), synchronous writes so memory never grows with output.
 * Opened with O_NOFOLLOW (a symlink planted in the logs directory is refused, never written
 * through). A write that fails (a full disk, EIO, a refused link) is dropped and reported through
 * `onError`, never thrown: the supervisor keeps supervising and keeps draining the pipes.
 */
import { closeSync, existsSync, fstatSync, renameSync, rmSync, writeSync } from "node:fs";
import { openAppendNoFollow } from "../files/private";
import { LOG_KEEP, LOG_MAX_BYTES } from "./constants";

export class LogFile {
  private fd = -1;
  private size = 0;
  private closed = false;

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

  write(data: Uint8Array | string): void {
    if (this.closed) return; // a late chunk must never land in whatever file reuses the fd
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
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
    this.write(`--- loom ${new Date().toISOString()} ${text} ---\n`);
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
