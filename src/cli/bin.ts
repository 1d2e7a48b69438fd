#!/usr/bin/env bun
/** Entry point of the `loom` executable. */
import { runCli } from "./runner";

const [first, ...rest] = process.argv.slice(2);
if (first === "__watchdog") {
  // Internal: outlives a killed supervisor and stops its process groups (orchestrator/watchdog.ts).
  const { runWatchdog } = await import("../orchestrator/watchdog");
  await runWatchdog();
  process.exit(0);
} else if (first === "__supervise") {
  // Internal: the background supervisor of `loom up --detach` (orchestrator/run.ts).
  const { superviseMain } = await import("../orchestrator/run");
  const { formatError } = await import("./runner");
  const { exitCodeOf } = await import("../errors");
  try {
    process.exitCode = await superviseMain(rest[0] ?? "{}");
  } catch (error) {
    process.stderr.write(formatError(error, true));
    process.exitCode = exitCodeOf(error);
  }
} else {
  process.exitCode = await runCli(process.argv.slice(2));
}
