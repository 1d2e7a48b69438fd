/**
 * Children's output relayed to their log files by one thread (logs/relay-worker.ts) that reads
 * plain pipes into a buffer it reuses, instead of Bun's socket pairs read into a fresh buffer per
 * read on the supervisor's own thread. Measured on a 500 MB flood (bench/log-flood.ts): the
 * relay keeps pace with supervisord and the supervisor's memory stays where it was, where the
 * streams grew it by 60 MB. There is none where libc cannot be opened (Windows) or with
 * LOOM_LOG_RELAY=streams: the caller then reads Bun's streams (logs/child-output.ts).
 */
import { closeSync, writeSync } from "node:fs";
import { pipes } from "../system/pipes";

declare const LOOM_RELAY_WORKER: string | undefined;
// Next to this file in the source; where the build put it in a compiled executable (an entry of
// its own, scripts/build.ts) or the npm library (scripts/npm-packages.ts).
const WORKER = typeof LOOM_RELAY_WORKER === "string" ? LOOM_RELAY_WORKER : "./relay-worker.ts";

export type ToRelay =
  | { op: "add"; id: number; fd: number; path: string; maxBytes?: number; marker: string; tail: number; forward: boolean }
  | { op: "end"; id: number; marker?: string }
  | { op: "stop" };
export type FromRelay =
  | { op: "eof"; id: number }
  | { op: "ended"; id: number; tail: string }
  | { op: "chunk"; id: number; chunk: Uint8Array; skipped: number }
  | { op: "error"; id: number; message: string };

export interface RelayOptions {
  maxBytes?: number;
  /** Keep the last bytes (stderr, for crash reports). */
  tail?: number;
  /** Output for the console; `skipped` lines before it were not passed on (see FORWARD_MAX_BYTES). */
  onChunk?: (chunk: Uint8Array, skipped: number) => void;
  onError?: (error: Error) => void;
}

/** One relayed pipe: `eof` when every writer is gone; `end` writes the last marker and closes the file. */
export interface RelayedPipe {
  eof: Promise<void>;
  end(marker?: string): Promise<string>;
}

interface Waiting {
  options: RelayOptions;
  /** The pipe's read end, which the relay's thread holds. */
  fd: number;
  eof: () => void;
  ended?: (tail: string) => void;
}

/**
 * Bytes handed to this thread for the console and not yet taken: past it the relay skips (and
 * counts) lines for the console, as the printer does for a slow terminal, instead of queueing
 * a flood in memory. The log files get every byte either way.
 */
export const FORWARD_MAX_BYTES = 4 * 1024 * 1024;

export class LogRelay {
  private readonly worker: Worker;
  /** Bytes in chunk messages not yet handled here (the relay adds, this thread subtracts). */
  private readonly inFlight = new Int32Array(new SharedArrayBuffer(4));
  private readonly commands: number;
  private readonly waiting = new Map<number, Waiting>();
  private next = 1;
  /** The thread failed: nothing is sent to it any more. */
  private dead = false;

  private constructor() {
    const [read, write] = pipes()!.pipe();
    this.commands = write;
    this.worker = new Worker(new URL(WORKER, import.meta.url).href, { workerData: { commands: read, inFlight: this.inFlight }, smol: true } as WorkerOptions);
    this.worker.addEventListener("message", (e: MessageEvent<FromRelay>) => this.answer(e.data));
    this.worker.addEventListener("error", (e) => this.broken(e.message));
    (this.worker as Worker & { unref(): void }).unref(); // Bun's Worker has it; the DOM type does not
  }

  private static shared: LogRelay | null | undefined;

  /** The process's relay, started on first use; undefined where there is none. */
  static get(): LogRelay | undefined {
    if (LogRelay.shared === undefined) LogRelay.shared = process.env.LOOM_LOG_RELAY === "streams" || !pipes() ? null : new LogRelay();
    return LogRelay.shared ?? undefined;
  }

  /**
   * A pipe for a child's stdout or stderr: [read end for `relay`, write end for the child], of the
   * default size; the relay grows the few that flood (relay-worker.ts).
   */
  static pipe(): [number, number] {
    return pipes()!.pipe();
  }

  /** Hands `fd` (a pipe's read end, now the relay's to close) over; `marker` is written first. */
  relay(fd: number, path: string, marker: string, options: RelayOptions): RelayedPipe {
    const id = this.next++;
    let eof!: () => void;
    const done = new Promise<void>((r) => (eof = r));
    const waiting: Waiting = { options, fd, eof };
    this.waiting.set(id, waiting);
    this.send({ op: "add", id, fd, path, maxBytes: options.maxBytes, marker, tail: options.tail ?? 0, forward: !!options.onChunk });
    return {
      eof: done,
      end: (last) =>
        new Promise<string>((resolve) => {
          if (this.dead) return resolve("");
          waiting.ended = resolve;
          this.send({ op: "end", id, marker: last });
        }),
    };
  }

  private send(m: ToRelay): void {
    if (!this.dead) writeSync(this.commands, `${JSON.stringify(m)}\n`);
  }

  private answer(m: FromRelay): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    if (m.op === "chunk") {
      try {
        w.options.onChunk?.(m.chunk, m.skipped);
      } catch {} // a console that fails must not stop the relay's answers
      Atomics.sub(this.inFlight, 0, m.chunk.length);
    } else if (m.op === "error") w.options.onError?.(new Error(m.message));
    else if (m.op === "eof") w.eof();
    else {
      w.eof(); // ended before its pipe did (a grandchild holds it): nobody waits for that any more
      this.waiting.delete(m.id);
      w.ended?.(m.tail);
    }
  }

  /**
   * The thread failed (a bug): every file it held is reported as failing and every wait ends, so
   * the supervisor keeps supervising; children started from now on are read on this thread.
   */
  private broken(message: string): void {
    LogRelay.shared = null;
    this.dead = true;
    closeSync(this.commands); // nobody reads it: a write could block once it is full
    for (const w of this.waiting.values()) {
      w.options.onError?.(new Error(`the log relay stopped (${message}); this output is lost until the process restarts`));
      // Nobody reads the pipe now: closed, a child's next write fails (and it is restarted) rather than blocking forever.
      try {
        closeSync(w.fd);
      } catch {}
      w.eof();
      w.ended?.("");
    }
    this.waiting.clear();
  }

  /** Stops the thread (tests; a supervisor that exits needs nothing). */
  static stop(): void {
    const relay = LogRelay.shared;
    LogRelay.shared = undefined; // the next use starts a new one (a broken one too)
    if (!relay) return;
    if (relay.dead) return;
    relay.send({ op: "stop" });
    relay.dead = true;
    closeSync(relay.commands);
  }
}
