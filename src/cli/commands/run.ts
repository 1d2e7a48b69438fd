import { statSync } from "node:fs";
import { loomCommand } from "../command";
import { log } from "../log";
import { runOnlyArgs, startCommand, upArgs } from "./up";

export default loomCommand({
  meta: {
    name: "run",
    description: "Start the runtime, then the project's agents; restart what crashes; Ctrl+C stops all",
    examples: ["loom run", "loom run agents/researcher.py agents/writer.ts", "loom run --watch", "loom run --bridge bridge.example.com:50051", "loom run --detach && loom status"],
  },
  args: {
    ...upArgs,
    ...runOnlyArgs,
    logs: { type: "boolean", description: "Accepted for upstream's CLI: loom always keeps each process's log in .loom/logs (`loom logs`)" },
    "startup-wait": {
      type: "string",
      description: "Accepted for upstream's CLI: loom waits until the runtime answers its Heartbeat, not a fixed time",
      valueHint: "S",
    },
    agents: {
      type: "positional",
      required: false,
      description: "Agent scripts to run (default: agents/*.py|ts|js|mjs and main.py/run.py/app.py), or the project directory",
      valueHint: "PATH...",
    },
  },
  async run({ args }) {
    if (args.logs) log.info("--logs: loom always keeps each process's log (in .loom/logs, or --logs-dir); `loom logs` shows them");
    if (args["startup-wait"] !== undefined) log.info("--startup-wait: loom starts the agents once the runtime answers its Heartbeat; no fixed wait is needed");
    const paths = args._.map(String);
    // Upstream's `loom run DIR`: a project directory rather than agent files.
    if (paths.length === 1 && statSync(paths[0]!, { throwIfNoEntry: false })?.isDirectory() && args.project === undefined)
      return startCommand({ ...args, project: paths[0] }, true);
    return await startCommand(args, true, paths.length ? paths : undefined);
  },
});
