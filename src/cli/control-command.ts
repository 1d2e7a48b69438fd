/**
 * `loom restart|stop|start`: one request to the running supervisor over the control channel
 * (state/control.ts), its answer printed a line per process. Exit codes as docs/supervision.md "Exit
 * codes": 3 when loom is not running here (as `loom status`), 2 for an unknown name, 4 when an
 * action failed.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "pathe";
import { projectRoot } from "../config/root";
import { LoomError } from "../errors";
import type { ControlRequest } from "../state/control";
import { EXIT } from "../errors";

/** Asks the project's supervisor; returns the exit code (EXIT.notRunning when none runs). */
export async function sendControl(project: string | undefined, req: ControlRequest): Promise<number> {
  const { askSupervisor } = await import("../state/control");
  const root = projectRoot(project ?? process.cwd());
  const reply = await askSupervisor(root, req);
  if (reply.ok) {
    for (const line of reply.lines ?? []) process.stdout.write(`${line}\n`);
    return EXIT.ok;
  }
  if (reply.code === "NOT_RUNNING") {
    process.stderr.write(`${reply.error}\n`);
    return EXIT.notRunning;
  }
  throw new LoomError(reply.code === "USAGE" ? "USAGE" : "PROCESS", reply.error ?? "the supervisor refused", { hint: "`loom status` shows the processes" });
}

/** `loom start` takes names and agent files alike: a word that is an existing file is a path. */
export function namesAndPaths(words: string[]): { names: string[]; paths: string[] } {
  const names: string[] = [];
  const paths: string[] = [];
  for (const word of words) {
    const path = isAbsolute(word) ? word : resolve(process.cwd(), word);
    if ((word.includes("/") || /\.(py|ts|js|mjs)$/.test(word)) && existsSync(path)) paths.push(path);
    else names.push(word);
  }
  return { names, paths };
}
