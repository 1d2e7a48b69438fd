import { defineCommand } from "citty";
import { runtimeArgs, startCommand } from "./up";

export default defineCommand({
  meta: {
    name: "run",
    description: "Start the runtime, then the project's agents; restart what crashes; Ctrl+C stops all",
    examples: ["loom run", "loom run agents/researcher.py agents/writer.ts", "loom run --watch", "loom run --bridge bridge.example.com:50051", "loom run --detach && loom status"],
  } as never,
  args: {
    ...runtimeArgs,
    watch: {
      type: "boolean",
      alias: "w",
      description: "Restart an agent when its file, a file beside or under it, or its [agents.<name>] watch globs change; reload loom.toml and .env when they change",
    },
    bridge: {
      type: "string",
      description: 'Run only the agents, against a Bridge elsewhere (HOST:PORT, or https://HOST:PORT for TLS); as [bridge] runtime = "remote"',
      valueHint: "HOST:PORT",
    },
    agents: { type: "positional", required: false, description: "Agent scripts to run (default: agents/*.py|ts|js|mjs and main.py/run.py/app.py)", valueHint: "PATH..." },
  },
  async run({ args }) {
    const paths = args._;
    await startCommand(args, true, paths.length ? paths : undefined);
  },
});
