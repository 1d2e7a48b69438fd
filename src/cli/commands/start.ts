import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { namesAndPaths, sendControl } from "../control-command";
import { projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "start",
    description: "Start stopped or crash-looped processes of the running project, or add an agent file to it",
    examples: ["loom start researcher", "loom start agents/new.py"],
  },
  args: { ...projectArg, name: { type: "positional", required: false, description: "Agents to start, or agent files to add (more may follow)", valueHint: "NAME..." } },
  async run({ args }) {
    const words = args._.map(String);
    if (words.length === 0) throw new LoomError("USAGE", "name the processes to start, or give an agent file (`loom start agents/new.py`)");
    return await sendControl(args.project, { cmd: "start", ...namesAndPaths(words) });
  },
});
