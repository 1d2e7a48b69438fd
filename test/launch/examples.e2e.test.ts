/**
 * Upstream's three apps (their real loom.toml) still run on the embedded Bridge after the trust
 * work: the runtime starts with their configuration, answers, and the tools write where
 * deep-research writes (`workspace/reports`). Their MCP server (`npx`) runs with npm offline, so
 * nothing is fetched: it fails to start, which the Bridge reports and outlives.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "pathe";
import { exampleFiles } from "../helpers/examples";
import { loom, makeProject } from "../helpers/runtime";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0", "--runtime", "embedded"];
const ENV = { npm_config_offline: "true", DEEPSEEK_API_KEY: "sk-test", BRAVE_API_KEY: "brave-test" };

describe("upstream's three apps", () => {
  for (const [name, file] of Object.entries(exampleFiles()))
    test(`${name}: the runtime starts with its loom.toml, answers, and its tools write beneath workspace/`, async () => {
      const root = makeProject();
      copyFileSync(file, join(root, "loom.toml"));
      const up = await loom(["up", "--detach", ...FREE], root, ENV);
      expect(up.code, up.all).toBe(0);
      expect((await loom(["ping", "--count", "1"], root)).code).toBe(0);
      const written = await loom(["call", "fs:write_file", '{"path": "workspace/reports/today.md", "content": "# report"}'], root);
      expect(written.code, written.all).toBe(0);
      expect(readFileSync(join(root, "workspace/reports/today.md"), "utf8")).toBe("# report");
      expect((await loom(["call", "fs:write_file", '{"path": "report.md", "content": "x"}'], root)).err).toContain("outside the directories the tools may write");
      expect((await loom(["down"], root)).code).toBe(0);
    });
});
