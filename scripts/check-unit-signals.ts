/**
 * `npm test` proves that no unit test signals a process: the unit tests run once under strace, and
 * any kill(2) with a signal other than 0 (which only asks whether a process exists) fails the check,
 * naming the pid and signal. Unit tests inject the supervisor's signal sender instead
 * (supervisor/options.ts SupervisorDeps); only e2e tests signal real processes they started.
 * Without strace (not Linux, or not installed) it says so and passes: .ci/run installs it.
 */
import { unlinkSync } from "node:fs";

const strace = Bun.which("strace");
if (!strace || process.platform !== "linux") {
  console.log("check-unit-signals: skipped (no strace here)");
  process.exit(0);
}
const out = `${process.env.TMPDIR ?? "/tmp"}/loom-unit-signals-${process.pid}.txt`;
const run = Bun.spawnSync([strace, "-f", "-qq", "-e", "trace=kill", "-o", out, process.execPath, "test", "--timeout", "60000", ".unit."], {
  stdout: "ignore",
  stderr: "pipe",
  env: process.env,
});
const trace = await Bun.file(out)
  .text()
  .catch(() => "");
try {
  unlinkSync(out);
} catch {}
if (run.exitCode !== 0 && !trace) {
  // strace itself could not trace (a container without ptrace): the unit tests run in npm test anyway.
  console.log(`check-unit-signals: skipped (strace could not run: ${run.stderr.toString().trim().split("\n").pop()})`);
  process.exit(0);
}
const sent = trace.split("\n").filter((l) => /\bkill\(-?\d+, SIG[A-Z0-9]+\)/.test(l));
if (sent.length) {
  console.error(`check-unit-signals: unit tests sent signals (inject SupervisorDeps.stopGroup/signalGroup instead):\n${sent.join("\n")}`);
  process.exit(1);
}
console.log("check-unit-signals: the unit tests signalled no process");
