/** `loom logs -f`: prints what is appended to log files, following rotation, until interrupted. */
import { closeSync, openSync, readSync, statSync } from "node:fs";

export interface FollowedFile {
  name: string;
  path: string;
  err: boolean;
}

const POLL_MS = 200;

export async function followLogs(files: FollowedFile[], print: (f: FollowedFile, line: string) => void, signal?: AbortSignal): Promise<void> {
  const offsets = new Map(files.map((f) => [f.path, statSync(f.path, { throwIfNoEntry: false })?.size ?? 0]));
  const partial = new Map<string, string>();
  let stop = false;
  const onInt = () => (stop = true);
  process.once("SIGINT", onInt);
  try {
    while (!stop && !signal?.aborted) {
      for (const f of files) {
        const size = statSync(f.path, { throwIfNoEntry: false })?.size ?? 0;
        let offset = offsets.get(f.path) ?? 0;
        if (size < offset) offset = 0; // rotated: the new file starts from the top
        if (size === offset) continue;
        const fd = openSync(f.path, "r");
        const buf = Buffer.alloc(Math.min(size - offset, 1 << 20));
        const read = readSync(fd, buf, 0, buf.length, offset);
        closeSync(fd);
        offsets.set(f.path, offset + read);
        const lines = ((partial.get(f.path) ?? "") + buf.subarray(0, read).toString("utf8")).split("\n");
        partial.set(f.path, lines.pop() ?? "");
        for (const line of lines) print(f, line);
      }
      await Bun.sleep(POLL_MS);
    }
  } finally {
    process.off("SIGINT", onInt);
  }
}
