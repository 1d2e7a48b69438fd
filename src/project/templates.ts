/** Files that `loom init` writes into a new project. */

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

export const EXAMPLE_AGENT_FILE = "agents/hello.ts";

export const exampleAgent = `// An example agent. \`loom run\` starts it once the runtime is ready, with LOOM_BRIDGE_ADDR and
// LOOM_AGENT_NAME set, and restarts it if it crashes. Replace it with your own agent.
const name = process.env.LOOM_AGENT_NAME ?? "hello";
console.log(\`\${name}: bridge at \${process.env.LOOM_BRIDGE_ADDR}\`);

const timer = setInterval(() => console.log(\`\${name}: alive\`), 30_000);
process.on("SIGTERM", () => {
  clearInterval(timer);
  console.log(\`\${name}: stopping\`);
  process.exit(0);
});
`;

/** What loom writes in a project and what must not be committed. */
export const GITIGNORE_ENTRIES = [".loom/", ".env"];
