import { loomCommand } from "../command";
import { log as consola } from "../log";
import { colors } from "consola/utils";
import { loadProjectConfig } from "../../config/load";
import { redactConfig } from "../../config/env/redact";
import type { ProjectConfig } from "../../config/types";
import { jsonArg, projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "config",
    description: "Show the resolved configuration (after .env and ${VAR} expansion; secrets hidden)",
    examples: ["loom config", "loom config --json", "loom config --json --show-secrets --project ./my-app"],
  },
  args: {
    ...projectArg,
    ...jsonArg,
    "show-secrets": { type: "boolean", description: "Show api keys, tokens and MCP env values instead of ***" },
  },
  async run({ args }) {
    const project = await loadProjectConfig(args.project ?? process.cwd());
    for (const w of [...project.warnings, ...(project.compatWarnings ?? [])]) consola.warn(w);
    const config = args["show-secrets"] ? project.config : redactConfig(project.config);
    if (args.json) process.stdout.write(JSON.stringify(config, null, 2) + "\n");
    else process.stdout.write(summary({ ...project, config }));
  },
});

function row(label: string, value: string): string {
  return `${colors.bold(label.padEnd(10))} ${value}\n`;
}

export function summary(project: ProjectConfig): string {
  const { config: c } = project;
  let out = "";
  out += row("file", project.file ?? `none (defaults; no loom.toml in ${project.root} or above)`);
  out += row(".env", project.envFile ?? "none");
  out += row("project", [c.name ?? "(unnamed)", c.version, c.description ? `- ${c.description}` : ""].filter(Boolean).join(" "));
  out += row("bridge", `${c.bridge.address} (mode ${c.bridge.mode}, runtime ${c.bridge.version}, ready timeout ${c.bridge.timeout_sec}s)`);
  const dashOn = c.bridge.mode === "full" && c.dashboard.enabled;
  out += row("dashboard", dashOn ? `http://${c.dashboard.host}:${c.dashboard.port}` : "off");
  const llm = Object.entries(c.llm);
  if (llm.length === 0) out += row("llm", "none");
  llm.forEach(([name, p], i) => {
    const parts = [name, p.type, p.model ?? "(no model)", p.base_url ?? "(no base_url)", `api_key ${p.api_key ? p.api_key : "(not set)"}`];
    out += row(i === 0 ? "llm" : "", parts.join("  ") + (i === 0 ? colors.dim("  (default)") : ""));
  });
  const mcp = Object.entries(c.mcp);
  if (mcp.length === 0) out += row("mcp", "none");
  mcp.forEach(([name, s], i) => {
    const env = Object.entries(s.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    out += row(i === 0 ? "mcp" : "", `${name}  ${[s.command, ...s.args].join(" ")}${env ? `  env ${env}` : ""}`);
  });
  const agents = Object.keys(c.agents);
  out += row("agents", agents.length ? agents.join(", ") : "none");
  const known = new Set(["name", "version", "description", "bridge", "dashboard", "llm", "mcp", "agents"]);
  const other = Object.keys(c).filter((k) => !known.has(k));
  if (other.length) out += row("other", other.join(", "));
  return out;
}
