/**
 * When a process that exited is started again: pure, with the clock passed in, so its tests are
 * fast. The first restart is immediate (as pm2's); repeated fast failures back off exponentially
 * from RESTART_BASE_MS, reset after a healthy stretch; a crash loop (several fast failures in a
 * row) gives up.
 */
import { envNumber } from "../config/env/env-number";
import { CRASH_LOOP_LIMIT, HEALTHY_STRETCH_MS, RESTART_BASE_MS, RESTART_MAX_MS } from "../constants";

import type { ExitInfo, RestartMode } from "../proc/spec";

export type { ExitInfo, RestartMode };

export interface RestartSettings {
  baseMs: number;
  maxMs: number;
  healthyMs: number;
  crashLoopLimit: number;
}

export const DEFAULT_RESTART: RestartSettings = {
  baseMs: RESTART_BASE_MS,
  maxMs: RESTART_MAX_MS,
  healthyMs: HEALTHY_STRETCH_MS,
  crashLoopLimit: CRASH_LOOP_LIMIT,
};

/** What the policy remembers about one process between its runs. */
export interface RestartMemory {
  /** Failures in a row, each before the healthy stretch. */
  fastFailures: number;
  /** Restarts since the last healthy stretch (drives the backoff). */
  attempt: number;
}

export const freshMemory = (): RestartMemory => ({ fastFailures: 0, attempt: 0 });

export type Decision = { action: "restart"; delayMs: number; memory: RestartMemory } | { action: "stop"; reason: "clean-exit" | "never" | "crash-loop"; memory: RestartMemory };

export function isFailure(exit: ExitInfo): boolean {
  return exit.signal !== null || exit.code !== 0;
}

export function decide(mode: RestartMode, exit: ExitInfo, memory: RestartMemory, settings: RestartSettings = DEFAULT_RESTART): Decision {
  const failed = isFailure(exit);
  const healthy = exit.livedMs >= settings.healthyMs;
  const next: RestartMemory = healthy ? freshMemory() : { ...memory };
  if (failed && !healthy) next.fastFailures++;
  if (!failed) next.fastFailures = 0;
  if (mode === "never") return { action: "stop", reason: "never", memory: next };
  if (!failed && mode === "on-failure") return { action: "stop", reason: "clean-exit", memory: next };
  if (next.fastFailures >= settings.crashLoopLimit) return { action: "stop", reason: "crash-loop", memory: next };
  const delayMs = next.attempt === 0 ? 0 : Math.min(settings.baseMs * 2 ** (next.attempt - 1), settings.maxMs);
  next.attempt++;
  return { action: "restart", delayMs, memory: next };
}

/** Settings from the environment, for people who need other numbers (and for tests). */
export function restartSettingsFromEnv(env: Record<string, string | undefined>): RestartSettings {
  return {
    baseMs: envNumber(env, "LOOM_RESTART_BASE_MS", RESTART_BASE_MS),
    maxMs: envNumber(env, "LOOM_RESTART_MAX_MS", RESTART_MAX_MS),
    healthyMs: envNumber(env, "LOOM_HEALTHY_STRETCH_MS", HEALTHY_STRETCH_MS),
    crashLoopLimit: envNumber(env, "LOOM_CRASH_LOOP_LIMIT", CRASH_LOOP_LIMIT, 1),
  };
}
