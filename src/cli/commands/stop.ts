import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { sendControl } from "../control-command";
import { projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "stop",
    description: "Stop agents of the running project; they stay stopped (not restarted) until `loom start`",
    examples: ["loom stop researcher", "loom stop writer flaky"],
  },
  args: { ...projectArg, name: { type: "positional", required: false, description: "Agents to stop (more may follow)", valueHint: "NAME..." } },
  async run({ args }) {
    const names = args._.map(String);
    if (names.length === 0) throw new LoomError("USAGE", "name the agents to stop (`loom status` lists them); `loom down` stops everything");
    return await sendControl(args.project, { cmd: "stop", names });
  },
});
