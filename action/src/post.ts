/**
 * The action's post step (post-if: always()): `loom down`, and the project's .loom/logs as an
 * artifact when something failed (a loom process crashed or the runtime failed) or when
 * upload-logs is "always".
 */
import * as core from "@actions/core";
import { DefaultArtifactClient } from "@actions/artifact";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runLoom } from "./run-loom";

interface Status {
  phase?: string;
  processes: { name: string; state: string }[];
}

export async function post(): Promise<void> {
  const path = core.getState("loom-path");
  const cwd = core.getState("working-directory") || process.cwd();
  if (!path || core.getState("started") !== "true") return;
  let failed = false;
  try {
    const status = JSON.parse(runLoom(path, ["status", "--json"], cwd, [0, 1, 3]).stdout) as Status;
    failed = status.phase === "failed" || status.phase === "dead" || status.processes.some((p) => p.state === "crash-loop" || p.state === "exited");
  } catch {
    failed = true;
  }
  try {
    runLoom(path, ["down"], cwd);
  } catch (error) {
    failed = true;
    core.warning(`loom down: ${(error as Error).message}`);
  }
  const when = core.getInput("upload-logs") || "on-failure";
  const logs = join(cwd, ".loom", "logs");
  if (when === "never" || !existsSync(logs) || (when === "on-failure" && !failed)) return;
  const files = readdirSync(logs).map((f) => join(logs, f));
  if (!process.env.ACTIONS_RUNTIME_TOKEN) return core.info(`not on a GitHub runner: would upload ${files.length} log files from ${logs}`);
  await new DefaultArtifactClient().uploadArtifact(`loom-logs-${process.env.GITHUB_JOB ?? "job"}`, files, logs);
  core.info(`uploaded ${files.length} log files from ${logs}`);
}

post().catch((error: Error) => core.warning(error.message));
