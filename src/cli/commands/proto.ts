import { defineCommand } from "citty";
import { runPythonSdk } from "../python-sdk";
import { projectArg } from "../shared-args";

export default defineCommand({
  meta: {
    name: "proto",
    description: "Generate the Python SDK's gRPC stubs (upstream's Python SDK command, run with the project's Python)",
    examples: ["loom proto"],
  } as never,
  args: { ...projectArg },
  async run({ args }) {
    process.exitCode = await runPythonSdk(args.project, ["proto"]);
  },
});
