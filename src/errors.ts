/**
 * One error type for everything loom reports to a user. The CLI runner (src/cli/runner.ts) is the
 * only place that turns it into a message and an exit code.
 */

/** Documented exit codes (docs/supervision.md "Exit codes"). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  download: 3,
  /** `loom status`, `restart`, `stop`, `start`: loom is not running here (as `systemctl status`'s 3). */
  notRunning: 3,
  process: 4,
  /** The command worked and found problems: `doctor` a FAIL, `status` a process in trouble, `call` a tool's error, `ping` lost pings. */
  problems: 5,
  interrupted: 130,
} as const;

export type ErrorCode =
  | "USAGE" // bad flags or arguments
  | "CONFIG" // loom.toml / .env problems
  | "DOWNLOAD" // network, release or cache problems
  | "VERIFY" // checksum or archive problems
  | "PROCESS" // a process failed to start, stop or become healthy
  | "PROBLEM" // the command worked and found a problem (an agent's error answer)
  | "INTERRUPTED"
  | "UNEXPECTED";

const EXIT_OF: Record<ErrorCode, number> = {
  USAGE: EXIT.usage,
  CONFIG: EXIT.usage,
  DOWNLOAD: EXIT.download,
  VERIFY: EXIT.download,
  PROCESS: EXIT.process,
  PROBLEM: EXIT.problems,
  INTERRUPTED: EXIT.interrupted,
  UNEXPECTED: EXIT.unexpected,
};

export interface LoomErrorOptions {
  /** What the user can do next. */
  hint?: string;
  cause?: unknown;
  /** Extra lines shown under the message (a source line, log tail, ...). */
  details?: string[];
}

export class LoomError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: LoomErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LoomError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }

  get exitCode(): number {
    return EXIT_OF[this.code];
  }
}

export function isLoomError(error: unknown): error is LoomError {
  return error instanceof LoomError;
}

export function exitCodeOf(error: unknown): number {
  return isLoomError(error) ? error.exitCode : EXIT.unexpected;
}
