import { loomCommand } from "../command";
import { bridgeTarget } from "../../client/address";
import { runPythonSdk } from "../python-sdk";
import { addressArg, projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "chat",
    description: "Chat with an agent (upstream's Python SDK command: it runs the project's Python and its SDK); the Bridge is the running project's unless --address",
    examples: ["loom chat", "loom chat --agent-id chat-assistant", "loom chat --address 127.0.0.1:50051"],
  },
  args: {
    ...projectArg,
    address: { ...addressArg.address, alias: "a" },
    "agent-id": { type: "string", alias: "i", description: "The agent to chat with (the SDK's default: chat-assistant)", valueHint: "ID" },
  },
  async run({ args }) {
    const target = await bridgeTarget(args.project ?? process.cwd(), args.address);
    const argv = ["chat", "--address", target.address, ...(args["agent-id"] ? ["--agent-id", args["agent-id"]] : [])];
    return await runPythonSdk(args.project, argv, { ...process.env, LOOM_BRIDGE_ADDR: target.address });
  },
});
