/**
 * Preloaded into the unit tests by scripts/check-unit-tests.ts: records every fixed wait a unit
 * test makes itself (`Bun.sleep` or `setTimeout` of more than POLL_MS, called from a `.unit.test.ts`
 * frame), so the check can fail on it. A poll with a deadline sleeps POLL_MS or less between looks;
 * what the code under test schedules is not the test's own wait.
 */
import { appendFileSync } from "node:fs";

const POLL_MS = 10;
const out = process.env.LOOM_UNIT_SLEEPS_FILE;

function record(kind: string, ms: number): void {
  if (!out || !(ms > POLL_MS)) return;
  const frame = new Error().stack
    ?.split("\n")
    .slice(1)
    .find((l) => !l.includes("unit-sleeps") && !l.includes("(native"));
  if (frame && /\.unit\.test\.ts/.test(frame)) appendFileSync(out, `${kind}(${Math.round(ms)}) ${frame.trim()}\n`);
}

const sleep = Bun.sleep;
Bun.sleep = (ms: number | Date) => {
  record("Bun.sleep", ms instanceof Date ? ms.getTime() - Date.now() : ms);
  return sleep(ms);
};
const timeout = globalThis.setTimeout;
const patched = (handler: () => void, ms?: number, ...rest: unknown[]) => {
  record("setTimeout", ms ?? 0);
  return timeout(handler, ms, ...rest);
};
globalThis.setTimeout = Object.assign(patched, timeout);
