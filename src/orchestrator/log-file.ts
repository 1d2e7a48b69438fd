/**
 * A log file that loom appends to: a marker line at each start, rotation by size
 * (`x.log` -> `x.log.1` -> ... ), synchronous writes so memory never grows with output.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "pathe";
import { LOG_KEEP, LOG_MAX_BYTES } from "./constants";

export class LogFile {
  private fd: number;
  private size: number;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly maxBytes = LOG_MAX_BYTES,
    private readonly keep = LOG_KEEP,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(data: Uint8Array | string): void {
    if (this.closed) return; // a late chunk must never land in whatever file reuses the fd
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
    writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  marker(text: string): void {
    this.write(`--- loom ${new Date().toISOString()} ${text} ---\n`);
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, "a", 0o600);
    this.size = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {}
  }
}
