/**
 * loom's console output: consola, plain `[warn] ...` lines when not on a terminal. Every level
 * goes to stderr, so what a command prints on stdout (JSON, paths, tables) stays parseable.
 */
import { createConsola } from "consola";

// `fancy` is accepted by consola's createConsola though not every copy of its types says so.
// An explicit level: consola would otherwise go quiet when it guesses it runs under a test runner.
const options = {
  level: process.argv.includes("--verbose") ? 4 : 3,
  fancy: Boolean(process.stderr.isTTY) && !process.env.CI,
  formatOptions: { compact: true, date: false },
  stdout: process.stderr,
  stderr: process.stderr,
};
export const log = createConsola(options as Parameters<typeof createConsola>[0]);
