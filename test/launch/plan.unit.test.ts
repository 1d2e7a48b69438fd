/** How a TypeScript agent is run: loom's Bun with the preload, and auto-install only for a project with a package.json. */
import { expect, test } from "bun:test";
import { join } from "pathe";
import { loadProjectConfig } from "../../src/config/load";
import { planAgents } from "../../src/launch/process-plan";
import { tempDir, writeTree } from "../helpers/tmp";

test("a .ts agent runs as `loom run --preload <preload> --no-install`, unless the project says how to install", async () => {
  const root = writeTree(tempDir(), { "loom.toml": 'name = "p"\n', "agents/a.ts": "" });
  const project = await loadProjectConfig(root, { env: {} });
  const tools = { python: "python3", bun: "/opt/loom", preload: join(root, ".loom/agent-preload.mjs") };
  const [agent] = planAgents(project, tools);
  expect(agent!.argv).toEqual(["/opt/loom", "run", "--preload", tools.preload, "--no-install", join(root, "agents/a.ts")]);
  expect(agent!.env.BUN_BE_BUN).toBe("1");
  const [own] = planAgents(project, { ...tools, autoInstall: true });
  expect(own!.argv).not.toContain("--no-install");
});
