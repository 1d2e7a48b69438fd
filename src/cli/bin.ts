#!/usr/bin/env bun
/** Entry point of the `loom` executable. */
import { LOOM_VERSION } from "../version";

/**
 * Ends with `code` once stdout and stderr have flushed into whatever reads them (an immediate
 * process.exit could cut a pipe short), without waiting for handles a library keeps open after
 * the command is done (grpc-js holds the loop for about 2 s after its client is closed). The timer
 * is a safety net should a write never complete.
 */
function finish(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  setTimeout(() => process.exit(code), 3_000).unref();
}

const [first, ...rest] = process.argv.slice(2);
if (first === "__watchdog") {
  // Internal: outlives a killed supervisor and stops its process groups (proc/watchdog.ts).
  const { runWatchdog } = await import("../proc/watchdog");
  await runWatchdog(rest[0]);
  process.exit(0);
} else if (first === "__hunt") {
  // Internal: run by the watchdog after a killed supervisor, stops what left its groups (hunt.ts).
  const { huntRun } = await import("../proc/hunt");
  await huntRun(rest[0] ?? "", 300);
  process.exit(0);
} else if (first === "__complete") {
  // Internal, for the shell completions (completion.ts): the running project's process names, from its ledger (no round trip).
  const { readLedger } = await import("../state/ledger");
  const { projectRoot } = await import("../config/root");
  try {
    const ledger = readLedger(projectRoot(process.cwd()));
    process.stdout.write(Object.keys(ledger?.children ?? {}).join("\n") + "\n");
  } catch {}
  process.exit(0);
} else if (first === "__supervise") {
  // Internal: the background supervisor of `loom up --detach` (launch/detached-supervisor.ts),
  // without the CLI's modules: what it did not catch goes to supervisor.log, stack and all.
  const { superviseMain } = await import("../launch/detached-supervisor");
  const { exitCodeOf } = await import("../errors");
  const { scrub } = await import("../config/env/secrets");
  try {
    finish(await superviseMain());
  } catch (error) {
    process.stderr.write(`${scrub(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)}\n`);
    finish(exitCodeOf(error));
  }
} else if (first === "__sandbox") {
  // Internal: restricts itself with Landlock, then execs a tool's command (bridge/tools/sandbox.ts).
  const { sandboxMain } = await import("../bridge/tools/sandbox");
  process.exit(sandboxMain(rest));
} else if (first === "__bridge") {
  // Internal: the embedded Bridge, supervised like a native runtime (bridge/main.ts).
  const { runEmbeddedBridge, withPrivateEnv } = await import("../bridge/main");
  await runEmbeddedBridge(withPrivateEnv(process.env));
} else if (process.argv.length === 3 && ["--version", "-v", "-V"].includes(first!)) {
  // Answered before the CLI's modules load: `loom --version` is what scripts and installers run.
  process.stdout.write(`loom ${LOOM_VERSION}\n`);
} else {
  const { runCli } = await import("./runner");
  finish(await runCli(process.argv.slice(2)));
}
