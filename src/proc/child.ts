/**
 * One running child: its own session and process group (so a stop reaches its grandchildren),
 * stdout and stderr appended to its log files and passed to a console sink, the tail of stderr
 * kept for crash reports. Reading the pipes as fast as they fill means a chatty child never
 * blocks; writes are synchronous, so memory does not grow with output.
 */
import { join } from "pathe";
import { scrub } from "../config/env/secrets";
import { PIPE_DRAIN_MS, STDERR_TAIL_BYTES } from "../constants";
import { processStartTime } from "./identity";
import { LogFile } from "../logs/log-file";
import type { ConsoleSink, Stream } from "../logs/sink";
import type { ExitInfo, ProcessSpec } from "./spec";

export type { ConsoleSink, Stream };

export interface Child {
  spec: ProcessSpec;
  pid: number;
  pgid: number;
  startTime?: string;
  startedAt: number;
  exited: Promise<ExitInfo>;
  stderrTail(): string;
}

export interface SpawnDeps {
  logsDir: string;
  sink?: ConsoleSink;
  now?: () => number;
  logMaxBytes?: number;
  /** A log write failed (full disk, EIO): the data is dropped, the child keeps running. */
  onWriteError?: (error: unknown) => void;
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

export function spawnChild(spec: ProcessSpec, deps: SpawnDeps): Child {
  const now = deps.now ?? Date.now;
  const out = new LogFile(join(deps.logsDir, `${spec.name}.log`), deps.logMaxBytes, undefined, deps.onWriteError);
  const err = new LogFile(join(deps.logsDir, `${spec.name}.err`), deps.logMaxBytes, undefined, deps.onWriteError);
  const marker = scrub(`start ${spec.name}: ${spec.argv.join(" ")}`); // `loom logs` prints it
  out.marker(marker);
  err.marker(marker);
  let tail = new Uint8Array(0);
  const keepTail = (chunk: Uint8Array) => {
    const merged = new Uint8Array(Math.min(tail.length + chunk.length, STDERR_TAIL_BYTES));
    const all = tail.length + chunk.length;
    const skip = all - merged.length;
    if (skip < tail.length) {
      merged.set(tail.subarray(skip), 0);
      merged.set(chunk, tail.length - skip);
    } else merged.set(chunk.subarray(skip - tail.length), 0);
    tail = merged;
  };

  const startedAt = now();
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(spec.argv, {
      cwd: spec.cwd,
      env: spec.env,
      stdin: spec.privateEnv ? Buffer.from(JSON.stringify(spec.privateEnv)) : "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true, // its own session and process group: a stop reaches everything it spawned
    });
  } catch (error) {
    const message = `cannot start ${spec.argv[0]}: ${(error as Error).message}\n`;
    err.write(message);
    out.close();
    err.close();
    const exit: ExitInfo = { code: 127, signal: null, livedMs: 0 };
    return { spec, pid: 0, pgid: 0, startedAt, exited: Promise.resolve(exit), stderrTail: () => message };
  }
  const pid = proc.pid;
  const pumps = Promise.all([
    pump(proc.stdout as ReadableStream<Uint8Array>, out, (c) => deps.sink?.(spec.name, "out", c)),
    pump(proc.stderr as ReadableStream<Uint8Array>, err, (c) => {
      keepTail(c);
      deps.sink?.(spec.name, "err", c);
    }),
  ]);
  const exited = proc.exited.then(async (code) => {
    // Grandchildren may hold the pipes open after the leader exits; do not wait for them forever.
    // A timer that is cleared, not Bun.sleep: a pending sleep would hold loom's exit back.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pumps, new Promise((r) => (timer = setTimeout(r, PIPE_DRAIN_MS)))]);
    clearTimeout(timer);
    const signal = proc.signalCode ? String(proc.signalCode) : null;
    const info: ExitInfo = { code: signal ? null : code, signal, livedMs: now() - startedAt };
    const how = info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
    out.marker(`${spec.name} ended: ${how}`);
    out.close();
    err.close();
    return info;
  });
  return { spec, pid, pgid: pid, startTime: processStartTime(pid), startedAt, exited, stderrTail: () => new TextDecoder().decode(tail) };
}
