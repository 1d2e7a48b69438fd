/**
 * Where a child's stdout and stderr go: its log files (each line stamped), the console sink, and
 * the tail of stderr kept for crash reports. Through the log relay (logs/relay.ts) where there is
 * one, else Bun's streams read on this thread (Windows, LOOM_LOG_RELAY=streams).
 */
import { closeSync } from "node:fs";
import type { Subprocess } from "bun";
import { ByteTail } from "./byte-tail";
import { LogFile } from "./log-file";
import { LogRelay, type RelayedPipe } from "./relay";
import type { ConsoleSink } from "./sink";

export interface OutputOptions {
  name: string;
  /** The files, without their `.log` / `.err`. */
  base: string;
  marker: string;
  maxBytes?: number;
  tailBytes: number;
  sink?: ConsoleSink;
  onWriteError?: (error: unknown) => void;
}

export interface ChildOutput {
  /** What Bun.spawn gets as stdout and stderr. */
  stdio: ["pipe", "pipe"] | [number, number];
  /** The child started (`proc`), or could not (`message` is written to its .err). */
  started(proc: Subprocess | undefined, message?: string): void;
  /** Both pipes at their end: every process that held them is gone. */
  drained(): Promise<void>;
  /** The last marker written to the .log, both files closed. */
  finish(marker: string): Promise<void>;
  stderrTail(): string;
}

/** `relay` null reads Bun's streams here (tests compare the two ways). */
export function childOutput(o: OutputOptions, relay: LogRelay | null | undefined = LogRelay.get()): ChildOutput {
  if (relay)
    try {
      return relayed(relay, o);
    } catch {} // no pipe to be had (out of file descriptors): Bun's spawn says why, through its streams
  return streamed(o);
}

function relayed(relay: LogRelay, o: OutputOptions): ChildOutput {
  const [outRead, outWrite] = LogRelay.pipe();
  let errRead: number;
  let errWrite: number;
  try {
    [errRead, errWrite] = LogRelay.pipe();
  } catch (error) {
    closeSync(outRead);
    closeSync(outWrite);
    throw error;
  }
  let out: RelayedPipe | undefined;
  let err: RelayedPipe | undefined;
  let tail = "";
  return {
    stdio: [outWrite, errWrite],
    started(proc, message) {
      closeSync(outWrite); // the child has its own copies now; the pipes end when it (and its own children) exit
      closeSync(errWrite);
      if (!proc) {
        closeSync(outRead);
        closeSync(errRead);
        tail = message ?? "";
        return written(o, tail);
      }
      const onError = (e: Error) => o.onWriteError?.(e);
      const sink = (stream: "out" | "err") => o.sink && ((c: Uint8Array, skipped: number) => o.sink!(o.name, stream, c, skipped));
      out = relay.relay(outRead, `${o.base}.log`, o.marker, { maxBytes: o.maxBytes, onError, onChunk: sink("out") });
      err = relay.relay(errRead, `${o.base}.err`, o.marker, { maxBytes: o.maxBytes, onError, tail: o.tailBytes, onChunk: sink("err") });
    },
    drained: () => Promise.all([out?.eof, err?.eof]).then(() => {}),
    async finish(marker) {
      const [, last] = await Promise.all([out?.end(marker), err?.end()]);
      tail = last || tail;
    },
    stderrTail: () => tail,
  };
}

/** A child that never started: the markers and why, written here. */
function written(o: OutputOptions, message: string): void {
  for (const [suffix, text] of [
    [".log", ""],
    [".err", message],
  ] as const) {
    const file = new LogFile(`${o.base}${suffix}`, o.maxBytes, undefined, o.onWriteError);
    file.marker(o.marker);
    file.write(text);
    file.close();
  }
}

function streamed(o: OutputOptions): ChildOutput {
  const out = new LogFile(`${o.base}.log`, o.maxBytes, undefined, o.onWriteError);
  const err = new LogFile(`${o.base}.err`, o.maxBytes, undefined, o.onWriteError);
  out.marker(o.marker);
  err.marker(o.marker);
  const tail = new ByteTail(o.tailBytes);
  let pumps: Promise<unknown> = Promise.resolve();
  return {
    stdio: ["pipe", "pipe"],
    started(proc, message) {
      if (!proc) {
        if (message) tail.add(Buffer.from(message));
        err.write(message ?? "");
        out.close();
        err.close();
        return;
      }
      pumps = Promise.all([
        pump(proc.stdout as ReadableStream<Uint8Array>, out, (c) => o.sink?.(o.name, "out", c)),
        pump(proc.stderr as ReadableStream<Uint8Array>, err, (c) => {
          tail.add(c);
          o.sink?.(o.name, "err", c);
        }),
      ]);
    },
    drained: () => pumps.then(() => {}),
    async finish(marker) {
      out.marker(marker);
      out.close();
      err.close();
    },
    stderrTail: () => tail.text(),
  };
}

async function pump(stream: ReadableStream<Uint8Array>, file: LogFile, onChunk: (c: Uint8Array) => void): Promise<void> {
  try {
    for await (const chunk of stream) {
      file.write(chunk); // never throws: a full disk drops the chunk, the pipe keeps draining
      try {
        onChunk(chunk);
      } catch {}
    }
  } catch {
    // the pipe broke with the process; what arrived is written
  }
}
