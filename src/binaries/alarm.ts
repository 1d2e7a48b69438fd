import { LoomError } from "../errors";

/**
 * Verification failures that are alarms, not absences: a checksum mismatch, an archive with a
 * hostile entry. Under `runtime = "auto"` they stop the start (exit 3) instead of falling back to
 * the embedded Bridge; a runtime that simply cannot be had (not published, unreachable) falls back.
 */
const ALARMS = new WeakSet<LoomError>();

export function tampered(error: LoomError): LoomError {
  ALARMS.add(error);
  return error;
}

/** Whether `error` means "no native runtime can be had", so `auto` may use the embedded Bridge. */
export function runtimeUnavailable(error: unknown): boolean {
  return error instanceof LoomError && (error.code === "DOWNLOAD" || (error.code === "VERIFY" && !ALARMS.has(error)));
}
