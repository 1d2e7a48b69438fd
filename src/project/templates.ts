/** Files that `loom init` writes into a new project. */
import { SDK_INSTALL } from "../config/sdk-compat";
import { sdkDeclarations } from "../sdk/bundle" with { type: "macro" };

export function loomTomlTemplate(name: string): string {
  return `# Loom project configuration. Reference: loom config --help
name = "${name}"
version = "0.1.0"
description = "A Loom project"

[bridge]
# Where the Bridge listens; agents connect here. LOOM_BRIDGE_ADDR overrides it.
address = "127.0.0.1:50051"
# "full" runs loom-core (Bridge + Dashboard); "bridge-only" runs loom-bridge.
mode = "full"
# Runtime version: "latest" or a release such as "0.1.0".
version = "latest"
# Seconds to wait for the runtime to answer its health checks.
timeout_sec = 30

[dashboard]
enabled = true
host = "127.0.0.1"
port = 3030

# LLM providers. The runtime's llm:generate uses [bridge] llm = "<name>", else the first one
# (handed over as VLLM_*). Python agents read this file themselves: their loader expands only
# \${VAR} and reads api_base, so write it that way.
# [llm.openai]
# type = "http"
# api_base = "https://api.openai.com/v1"
# api_key = "\${OPENAI_API_KEY}"
# model = "gpt-4o-mini"

# MCP servers handed to the runtime as LOOM_MCP_SERVERS.
# [mcp.filesystem]
# command = "npx"
# args = ["-y", "@modelcontextprotocol/server-filesystem", "."]
# [mcp.filesystem.env]
# SOME_TOKEN = "\${SOME_TOKEN}"

# Agents: agents/*.py|ts|js are found by \`loom run\`; settings here are read by the agent.
[agents.hello]
topics = ["hello.input"]
`;
}

export type Template = "ts" | "python";
export const TEMPLATES: readonly Template[] = ["ts", "python"];

/** The starter agent of each template, and the other files it needs. */
export function templateFiles(template: Template): Record<string, string> {
  if (template === "python") return { "agents/hello.py": pythonAgent };
  return { "agents/hello.ts": typescriptAgent, "loom-sdk.d.ts": sdkDeclarations(), "loom-env.d.ts": runtimeDeclarations, "tsconfig.json": tsconfig };
}

const typescriptAgent = `// The starter agent, written with loom's TypeScript SDK (\`loom:sdk\`, inside loom: nothing to
// install). It answers each event on hello.input with a greeting on the event's reply topic, and
// calls one of the Bridge's tools on the way. Try it while \`loom run\` runs:
//   loom pub hello.input '{"name": "Ada"}' --reply
import { Agent } from "loom:sdk";

const agent = new Agent({
  id: "hello",
  topics: ["hello.input"],
  async onEvent(ctx, topic, event) {
    if (topic !== "hello.input") return; // replies to this agent's own requests arrive here too
    const { name = "world" } = event.json<{ name?: string }>();
    const listing = (await ctx.tool("fs:list_dir", { path: "agents" })) as { entries: unknown[] };
    const text = \`Hello, \${name}! \${listing.entries.length} agent file(s) here answer on the Bridge.\`;
    console.log(text); // shown by \`loom run\` as "hello | ...", and in \`loom logs hello\`
    await ctx.reply(event, { type: "hello.greeting", payload: { text } });
  },
});

await agent.run(); // until loom stops it
`;

const pythonAgent = `"""The starter agent, written with upstream's Python SDK.

Install the SDK once for the Python that runs it (\`loom doctor\` checks it):
    ${SDK_INSTALL}
It answers each event on hello.input with a greeting on the event's reply topic, and calls one of
the Bridge's tools on the way. Try it while \`loom run\` runs:
    loom pub hello.input '{"name": "Ada"}' --reply
"""
import json

from loom import Agent


async def on_event(ctx, topic, event):
    if topic != "hello.input":  # replies to this agent's own requests arrive here too
        return
    name = json.loads(event.payload or b"{}").get("name", "world")
    listing = json.loads(await ctx.tool("fs:list_dir", payload={"path": "agents"}))
    text = f"Hello, {name}! {len(listing['entries'])} agent file(s) here answer on the Bridge."
    print(text, flush=True)  # shown by \`loom run\` as "hello | ...", and in \`loom logs hello\`
    await ctx.reply(event, type="hello.greeting", payload=json.dumps({"text": text}).encode())


Agent(agent_id="hello", topics=["hello.input"], on_event=on_event).run()
`;

/**
 * What agents use of the runtime Bun gives them (`process.env`, `Bun.env`, ...), for \`tsc\` in a
 * project with no node_modules: without it the first `process.env.KEY` is TS2591 and `Bun` TS2868.
 */
const runtimeDeclarations = `// What loom's agents use of Bun's runtime, for editors and tsc without node_modules.
// Written by \`loom init\`. Delete this file (and its line in tsconfig.json) once the project
// installs @types/bun, which declares all of it.
declare var process: {
  env: Record<string, string | undefined>;
  argv: string[];
  pid: number;
  exitCode: number | undefined;
  cwd(): string;
  exit(code?: number): never;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  stdout: { write(text: string | Uint8Array): boolean };
  stderr: { write(text: string | Uint8Array): boolean };
};
declare var Bun: {
  env: Record<string, string | undefined>;
  version: string;
  sleep(ms: number): Promise<void>;
  file(path: string): { text(): Promise<string>; json(): Promise<any>; exists(): Promise<boolean>; size: number };
  write(path: string, data: string | Uint8Array): Promise<number>;
  [key: string]: any;
};
`;

/** For editors and \`tsc\`: the agents and the SDK's declared types; Bun runs the agents as they are. */
const tsconfig = `${JSON.stringify(
  {
    compilerOptions: { target: "ESNext", module: "Preserve", moduleResolution: "bundler", lib: ["ESNext", "DOM"], strict: true, noEmit: true, skipLibCheck: true },
    include: ["agents", "loom-sdk.d.ts", "loom-env.d.ts"],
  },
  null,
  2,
)}
`;

/** What loom writes in a project and what must not be committed. */
export const GITIGNORE_ENTRIES = [".loom/", ".env"];
