import { defineCommand } from "citty";
import { sendControl } from "../control-command";
import { projectArg } from "../shared-args";

export default defineCommand({
  meta: {
    name: "restart",
    description: "Restart agents of the running project (all when no name is given); --runtime restarts the runtime too, the agents stay up",
    examples: ["loom restart", "loom restart researcher writer", "loom restart --runtime"],
  } as never,
  args: {
    ...projectArg,
    runtime: { type: "boolean", description: "Restart the runtime (and only the named agents); returns once it is ready again" },
  },
  async run({ args }) {
    await sendControl(args.project, { cmd: "restart", names: args._.map(String), runtime: args.runtime });
  },
});
