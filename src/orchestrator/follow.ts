/**
 * `loom logs -f`: prints what is appended to log files until interrupted, as `tail -F` does. Each
 * file is read through an open descriptor, so when it is rotated (renamed to `x.log.1`) the rest
 * of it is still read to its end before the new `x.log` is opened from its start: no line is lost
 * at rotation. A multibyte character split between two reads is decoded whole.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";

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

export async function followLogs(files: FollowedFile[], print: (f: FollowedFile, line: string) => void, signal?: AbortSignal): Promise<void> {
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
      for (const [f, tail] of tails) {
        drain(tail, (line) => print(f, line));
        const now = statSync(f.path, { throwIfNoEntry: false });
        if (now && now.ino !== tail.ino) {
          // Rotated: the old file was read to its end above; the new one is read from its start.
          drain(tail, (line) => print(f, line));
          if (tail.fd !== undefined) closeSync(tail.fd);
          open(f.path, tail, false);
          drain(tail, (line) => print(f, line));
        } else if (now && tail.fd !== undefined && now.size < tail.offset) tail.offset = 0; // truncated in place
      }
      await Bun.sleep(POLL_MS);
    }
  } finally {
    process.off("SIGINT", onInt);
    for (const tail of tails.values()) if (tail.fd !== undefined) closeSync(tail.fd);
  }
}
