import { EXIT } from "../../errors";
import { loomCommand } from "../command";
import { sendControl } from "../control-command";
import { log } from "../log";
import { projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "restart",
    description: "Restart agents of the running project (all when no name is given); --runtime restarts the runtime too, the agents stay up",
    examples: ["loom restart", "loom restart researcher writer", "loom restart --runtime", "loom restart --runtime --agents"],
  },
  args: {
    ...projectArg,
    name: { type: "positional", required: false, description: "Agents to restart (default: all; more may follow)", valueHint: "NAME..." },
    runtime: { type: "boolean", description: "Restart the runtime (and only the named agents); returns once it is ready again" },
    agents: { type: "boolean", description: "With --runtime: restart every agent after it (upstream's Python SDK loses the first event it publishes after a Bridge restart)" },
  },
  async run({ args }) {
    const code = await sendControl(args.project, { cmd: "restart", names: args._.map(String), runtime: args.runtime, agents: args.agents });
    if (args.runtime && !args.agents && code === EXIT.ok)
      log.info(
        "the agents kept running: an agent on upstream's Python SDK loses the first event it publishes after a Bridge restart; `loom restart --runtime --agents` restarts them too",
      );
    return code;
  },
});
