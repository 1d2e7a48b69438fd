/**
 * Reading loom's log files: each line is `<ISO time> <text>` (log-file.ts), the time being when
 * loom read the line; lines without one (files of older versions, supervisor.log) keep their text
 * and have no time.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export interface LogEntry {
  /** Milliseconds since the epoch, when loom read the line. */
  time?: number;
  text: string;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;

export function parseLogLine(line: string): LogEntry {
  const m = STAMP.exec(line);
  return m ? { time: Date.parse(m[1]!), text: line.slice(m[0].length) } : { text: line };
}

/** The last `lines` entries of a log file, read from its end (at most `maxBytes`, never the whole file). */
export function tailEntries(path: string, lines: number, maxBytes = 64 * 1024): LogEntry[] {
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
    return lines > 0 ? text.slice(-lines).map(parseLogLine) : [];
  } finally {
    closeSync(fd);
  }
}

/** The last lines' text (without their times). */
export function tailLines(path: string, lines: number, maxBytes = 64 * 1024): string[] {
  return tailEntries(path, lines, maxBytes).map((e) => e.text);
}
