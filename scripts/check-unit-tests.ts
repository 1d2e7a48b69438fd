/**
 * `npm test` proves that no unit test signals a process or sleeps. The unit tests run once under
 * strace with scripts/unit-sleeps.ts preloaded:
 * - any kill(2) with a signal other than 0 (which only asks whether a process exists) fails the
 *   check, naming the pid and signal. Unit tests inject the supervisor's signal sender instead
 *   (supervisor/options.ts SupervisorDeps); only e2e tests signal real processes they started;
 * - any fixed wait a unit test makes itself (over 10 ms, from a `.unit.test.ts` frame) fails it,
 *   naming the line: a test waits for what it expects (a poll with a deadline, a later event), not
 *   for time to pass, which proves nothing under load.
 * Without strace (not Linux, not installed, or no ptrace) the signal part says so and is skipped:
 * .ci/run installs strace.
 */
import { unlinkSync } from "node:fs";

const tmp = process.env.TMPDIR ?? "/tmp";
const signalsFile = `${tmp}/loom-unit-signals-${process.pid}.txt`;
const sleepsFile = `${tmp}/loom-unit-sleeps-${process.pid}.txt`;
const read = async (file: string) => {
  const text = await Bun.file(file)
    .text()
    .catch(() => "");
  try {
    unlinkSync(file);
  } catch {}
  return text;
};

const strace = process.platform === "linux" ? Bun.which("strace") : null;
const tests = [process.execPath, "test", "--preload", "./scripts/unit-sleeps.ts", "--timeout", "60000", ".unit."];
const traced = strace ? [strace, "-f", "-qq", "-e", "trace=kill", "-o", signalsFile, ...tests] : tests;
let run = Bun.spawnSync(traced, { stdout: "ignore", stderr: "pipe", env: { ...process.env, LOOM_UNIT_SLEEPS_FILE: sleepsFile } });
let trace = strace ? await read(signalsFile) : "";
if (strace && run.exitCode !== 0 && !trace) {
  // strace itself could not trace (a container without ptrace): the sleeps are still checked.
  console.log(`check-unit-tests: signals not checked (strace could not run: ${run.stderr.toString().trim().split("\n").pop()})`);
  run = Bun.spawnSync(tests, { stdout: "ignore", stderr: "pipe", env: { ...process.env, LOOM_UNIT_SLEEPS_FILE: sleepsFile } });
  trace = "";
} else if (!strace) console.log("check-unit-tests: signals not checked (no strace here)");

let failed = false;
const sent = trace.split("\n").filter((l) => /\bkill\(-?\d+, SIG[A-Z0-9]+\)/.test(l));
if (sent.length) {
  console.error(`check-unit-tests: unit tests sent signals (inject SupervisorDeps.stopGroup/signalGroup instead):\n${sent.join("\n")}`);
  failed = true;
}
const sleeps = (await read(sleepsFile)).trim();
if (sleeps) {
  console.error(`check-unit-tests: unit tests waited a fixed time (wait for the event itself, or poll with a deadline):\n${sleeps}`);
  failed = true;
}
if (failed) process.exit(1);
console.log(`check-unit-tests: the unit tests ${strace ? "signalled no process and " : ""}slept no fixed time`);
