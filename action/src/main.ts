/**
 * The action's main step: install loom (verified), fetch the runtime, start it detached. `start`:
 * "true" (or "runtime") is `loom up --detach`; "agents" is `loom run --detach --wait-agents`, so the
 * next steps can talk to the agents at once; "false" only installs.
 */
import * as core from "@actions/core";
import { dirname, resolve } from "node:path";
import { installLoom } from "./install";
import { runLoom } from "./run-loom";

export async function main(): Promise<void> {
  const cwd = resolve(core.getInput("working-directory") || ".");
  const installed = await installLoom({
    version: core.getInput("version") || "latest",
    base: core.getInput("download-base-url") || process.env.LOOM_CLI_DOWNLOAD_BASE_URL,
    toolCache: process.env.RUNNER_TOOL_CACHE,
    token: core.getInput("github-token") || process.env.GITHUB_TOKEN,
  });
  core.info(`loom ${installed.version} ${installed.cached ? "from the tool cache" : "installed and verified"}: ${installed.path}`);
  core.addPath(dirname(installed.path));
  core.setOutput("loom-path", installed.path);
  core.saveState("loom-path", installed.path);
  core.saveState("working-directory", cwd);

  const mode = core.getInput("mode");
  const runtimeVersion = core.getInput("runtime-version");
  const runtime = core.getInput("runtime");
  const runtimeArgs = runtime ? ["--runtime", runtime] : [];
  const start = core.getInput("start") || "true";
  if (!["true", "runtime", "agents", "false"].includes(start)) throw new Error(`the input start must be true, runtime, agents or false, not "${start}"`);
  const installArgs = ["install", ...(mode ? ["--mode", mode] : []), ...(runtimeVersion ? ["--version", runtimeVersion] : []), ...runtimeArgs];
  runLoom(installed.path, installArgs, cwd);

  if (start !== "false") {
    const command = start === "agents" ? ["run", "--detach", "--wait-agents"] : ["up", "--detach"];
    const upArgs = [...command, ...(mode && mode !== "all" ? ["--mode", mode] : []), ...(runtimeVersion ? ["--runtime-version", runtimeVersion] : []), ...runtimeArgs];
    runLoom(installed.path, upArgs, cwd);
    core.saveState("started", "true");
    const status = JSON.parse(runLoom(installed.path, ["status", "--json"], cwd, [0, 1, 3]).stdout) as { bridge?: string };
    if (status.bridge) {
      core.exportVariable("LOOM_BRIDGE_ADDR", status.bridge);
      core.setOutput("bridge-address", status.bridge);
    }
  }
}

main().catch((error: Error) => core.setFailed(error.message));
