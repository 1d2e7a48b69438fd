/**
 * One running child: its own session and process group (so a stop reaches its grandchildren),
 * stdout and stderr appended to its log files and passed to a console sink, the tail of stderr
 * kept for crash reports (logs/child-output.ts: through the log relay's thread, which reads the
 * pipes as fast as they fill into one reused buffer, so a chatty child never blocks and memory
 * does not grow with output).
 */
import { join } from "pathe";
import { scrub } from "../config/env/secrets";
import { PIPE_DRAIN_MS, STDERR_TAIL_BYTES } from "../constants";
import { processStartTime } from "./identity";
import { childOutput } from "../logs/child-output";
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

export function spawnChild(spec: ProcessSpec, deps: SpawnDeps): Child {
  const now = deps.now ?? Date.now;
  const output = childOutput({
    name: spec.name,
    base: join(deps.logsDir, spec.name),
    marker: scrub(`start ${spec.name}: ${spec.argv.join(" ")}`), // `loom logs` prints it
    maxBytes: deps.logMaxBytes,
    tailBytes: STDERR_TAIL_BYTES,
    sink: deps.sink,
    onWriteError: deps.onWriteError,
  });
  const startedAt = now();
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(spec.argv, {
      cwd: spec.cwd,
      env: spec.env,
      stdin: spec.privateEnv ? Buffer.from(JSON.stringify(spec.privateEnv)) : "ignore",
      stdout: output.stdio[0],
      stderr: output.stdio[1],
      detached: true, // its own session and process group: a stop reaches everything it spawned
    });
  } catch (error) {
    const message = `cannot start ${spec.argv[0]}: ${(error as Error).message}\n`;
    output.started(undefined, message);
    const exit: ExitInfo = { code: 127, signal: null, livedMs: 0 };
    return { spec, pid: 0, pgid: 0, startedAt, exited: Promise.resolve(exit), stderrTail: () => message };
  }
  output.started(proc);
  const pid = proc.pid;
  const exited = proc.exited.then(async (code) => {
    // Grandchildren may hold the pipes open after the leader exits; do not wait for them forever.
    // A timer that is cleared, not Bun.sleep: a pending sleep would hold loom's exit back.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([output.drained(), new Promise((r) => (timer = setTimeout(r, PIPE_DRAIN_MS)))]);
    clearTimeout(timer);
    const signal = proc.signalCode ? String(proc.signalCode) : null;
    const info: ExitInfo = { code: signal ? null : code, signal, livedMs: now() - startedAt };
    await output.finish(`${spec.name} ended: ${info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`}`);
    return info;
  });
  return { spec, pid, pgid: pid, startTime: processStartTime(pid), startedAt, exited, stderrTail: () => output.stderrTail() };
}
