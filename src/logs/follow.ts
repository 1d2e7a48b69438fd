/**
 * `loom logs -f`: prints what is appended to log files until interrupted, as `tail -F` does. Each
 * file is read through an open descriptor, so when it is rotated (renamed to `x.log.1`) the rest
 * of it is still read to its end before the new `x.log` is opened from its start: no line is lost
 * at rotation. A multibyte character split between two reads is decoded whole. What one poll
 * finds in all the files is printed in the order of the lines' times (logs/tail.ts).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { type LogEntry, parseLogLine } from "./tail";

export interface FollowedFile {
  name: string;
  path: string;
  err: boolean;
}

const POLL_MS = 200;
const CHUNK = 1 << 20;

interface Tail {
  fd?: number;
  ino?: number;
  offset: number;
  partial: string;
  decoder: TextDecoder;
}

function open(path: string, tail: Tail, fromEnd: boolean): void {
  try {
    tail.fd = openSync(path, "r");
    const st = fstatSync(tail.fd);
    tail.ino = st.ino;
    tail.offset = fromEnd ? st.size : 0;
  } catch {
    tail.fd = undefined;
  }
}

/** Everything appended to the open descriptor since the last read, as whole lines. */
function drain(tail: Tail, emit: (line: string) => void): void {
  if (tail.fd === undefined) return;
  const buf = Buffer.alloc(CHUNK);
  for (;;) {
    const n = readSync(tail.fd, buf, 0, CHUNK, tail.offset);
    if (n <= 0) return;
    tail.offset += n;
    const lines = (tail.partial + tail.decoder.decode(buf.subarray(0, n), { stream: true })).split("\n");
    tail.partial = lines.pop() ?? "";
    for (const line of lines) emit(line);
  }
}

/** `wait` sleeps between two polls (a test's resolves when it says so). */
export async function followLogs(
  files: FollowedFile[],
  print: (f: FollowedFile, entry: LogEntry) => void,
  signal?: AbortSignal,
  wait: () => Promise<unknown> = () => Bun.sleep(POLL_MS),
): Promise<void> {
  const tails = new Map<FollowedFile, Tail>();
  for (const f of files) {
    const tail: Tail = { offset: 0, partial: "", decoder: new TextDecoder() };
    open(f.path, tail, true);
    tails.set(f, tail);
  }
  let stop = false;
  const onInt = () => (stop = true);
  process.once("SIGINT", onInt);
  try {
    while (!stop && !signal?.aborted) {
      const found: { f: FollowedFile; entry: LogEntry }[] = [];
      for (const [f, tail] of tails) {
        const take = (line: string) => found.push({ f, entry: parseLogLine(line) });
        drain(tail, take);
        const now = statSync(f.path, { throwIfNoEntry: false });
        if (now && now.ino !== tail.ino) {
          // Rotated: the old file was read to its end above; the new one is read from its start.
          drain(tail, take);
          if (tail.fd !== undefined) closeSync(tail.fd);
          open(f.path, tail, false);
          drain(tail, take);
        } else if (now && tail.fd !== undefined && now.size < tail.offset) tail.offset = 0; // truncated in place
      }
      for (const { f, entry } of byTime(found)) print(f, entry);
      await wait();
    }
  } finally {
    process.off("SIGINT", onInt);
    for (const tail of tails.values()) if (tail.fd !== undefined) closeSync(tail.fd);
  }
}

/**
 * Lines of several files in the order of their times; a stable sort, so each file's own order
 * stays, and a line without a time takes the time of the line before it in its file.
 */
export function byTime<T extends { f: unknown; entry: LogEntry }>(lines: T[]): T[] {
  const last = new Map<unknown, number>();
  const keyed = lines.map((line) => {
    const time = line.entry.time ?? last.get(line.f) ?? 0;
    last.set(line.f, time);
    return { line, time };
  });
  return keyed.sort((a, b) => a.time - b.time).map((k) => k.line);
}
