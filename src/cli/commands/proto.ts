import { loomCommand } from "../command";
import { runPythonSdk } from "../python-sdk";
import { projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "proto",
    description: "Generate the Python SDK's gRPC stubs (upstream's Python SDK command: it runs the project's Python and its SDK)",
    examples: ["loom proto"],
  },
  args: { ...projectArg },
  async run({ args }) {
    return await runPythonSdk(args.project, ["proto"]);
  },
});
