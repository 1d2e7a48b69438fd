/** One supervised process: what to run, what the ledger says of it, and its restart memory. */
import { join } from "pathe";
import { FAILURE_TAIL_LINES } from "../constants";
import { tailLines } from "../logs/tail";
import type { Child } from "../proc/child";
import type { ExitInfo, ProcessSpec } from "../proc/spec";
import type { ChildRecord } from "../state/ledger";
import { describeExit, hintFor } from "./hints";
import { freshMemory, type RestartMemory } from "./restart-policy";
import { describeRootError, rootError } from "../logs/root-error";

export interface Slot {
  spec: ProcessSpec;
  record: ChildRecord;
  child?: Child;
  memory: RestartMemory;
  timer?: ReturnType<typeof setTimeout>;
  /** Stopped by `loom stop`: not restarted until `loom start`. */
  held?: boolean;
  /** Being stopped by `loom restart`: its exit is not a crash. */
  restarting?: boolean;
}

export function newSlot(spec: ProcessSpec, logsDir: string): Slot {
  const record: ChildRecord = {
    name: spec.name,
    kind: spec.kind,
    state: "starting",
    restarts: 0,
    logs: { out: join(logsDir, `${spec.name}.log`), err: join(logsDir, `${spec.name}.err`) },
  };
  return { spec, record, memory: freshMemory() };
}

export function clearTimer(slot: Slot): void {
  if (slot.timer) clearTimeout(slot.timer);
  slot.timer = undefined;
}

/** How a process ended and what in its output says why (logs/root-error.ts), for the message that says it failed. */
export function failureReport(slot: Slot, child: Child, exit: ExitInfo): { details: string[]; hint?: string } {
  const tail = child.stderrTail();
  const all = tail.trim() ? tail.trimEnd().split("\n") : tailLines(slot.record.logs.out, FAILURE_TAIL_LINES);
  const said = describeRootError(rootError(all, FAILURE_TAIL_LINES), slot.spec.name);
  return { details: [`it ${describeExit(exit.code, exit.signal)} after ${(exit.livedMs / 1000).toFixed(1)}s`, ...said.details], hint: said.hint ?? hintFor(tail) };
}
