/** The last lines of a log file, read from its end (never the whole file). */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export function tailLines(path: string, lines: number, maxBytes = 64 * 1024): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const text = buf.toString("utf8").split("\n");
    if (text[text.length - 1] === "") text.pop();
    if (length < size) text.shift(); // a partial first line
    return lines > 0 ? text.slice(-lines) : [];
  } finally {
    closeSync(fd);
  }
}
