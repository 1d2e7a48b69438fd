/** Runs loom for the action: its stdout is the answer, its stderr (loom's own lines) goes to the log. */
import * as core from "@actions/core";
import { spawnSync } from "node:child_process";

export interface LoomRun {
  code: number;
  stdout: string;
}

/** Throws when loom exits with a code not in `ok` (`loom status` answers 3 when not running, 1 when unhealthy). */
export function runLoom(path: string, args: string[], cwd: string, ok: number[] = [0]): LoomRun {
  core.info(`$ loom ${args.join(" ")}`);
  const r = spawnSync(path, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const output = `${r.stderr ?? ""}${r.stdout ?? ""}`.trimEnd();
  if (output) core.info(output);
  const code = r.status ?? 1;
  if (r.error) throw r.error;
  if (!ok.includes(code)) throw new Error(`loom ${args[0]} exited with code ${code}${r.stderr ? `: ${r.stderr.trim().split("\n").pop()}` : ""}`);
  return { code, stdout: r.stdout ?? "" };
}
