/**
 * loom.toml's schema over generated files (fast-check): whatever the values, checking never throws;
 * it either gives a configuration whose every known key has its type and default, with unknown
 * keys kept, or issues that each name the key (in backquotes) and what it must be.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { isAddress, checkConfig } from "../../src/config/schema";

const value = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constantFrom([], ["cat"], [1], {}, { k: 1 }, "upstream", "127.0.0.1:1", "http://h:1", "full", "remote", "bad name"),
);
const section = (keys: string[]) => fc.oneof(fc.dictionary(fc.constantFrom(...keys, "extra_key", "prot"), value, { maxKeys: 4 }), value);
const named = (keys: string[]) => fc.oneof(fc.dictionary(fc.constantFrom("a", "b"), section(keys), { maxKeys: 2 }), value);
const file = fc.record(
  {
    name: value,
    version: value,
    bridge: section(["address", "mode", "version", "timeout_sec", "binary", "llm", "runtime", "shell_allow", "tls", "ca_file", "expose"]),
    dashboard: section(["enabled", "host", "port"]),
    llm: named(["type", "base_url", "api_base", "api_key", "max_tokens", "temperature", "timeout_sec", "extra"]),
    mcp: named(["command", "args", "env", "cwd"]),
    agents: named(["module", "restart"]),
    workspace: section(["root"]),
  },
  { requiredKeys: [] },
);

test("any loom.toml gives a typed configuration or issues naming each key", () => {
  fc.assert(
    fc.property(file, (raw) => {
      const { config, issues } = checkConfig(structuredClone(raw));
      if (issues.length > 0) {
        for (const issue of issues) expect(issue.message).toMatch(/^`[\w.-]+`/);
        return;
      }
      expect(isAddress(config.bridge.address)).toBe(true);
      expect(typeof config.bridge.timeout_sec).toBe("number");
      expect(Number.isInteger(config.dashboard.port) && config.dashboard.port >= 0 && config.dashboard.port <= 65535).toBe(true);
      expect(typeof config.dashboard.enabled).toBe("boolean");
      expect(typeof config.version).toBe("string");
      for (const provider of Object.values(config.llm)) {
        expect("api_base" in provider).toBe(false);
        expect(Number.isInteger(provider.max_tokens)).toBe(true);
      }
      for (const server of Object.values(config.mcp)) expect(server.args.every((a) => typeof a === "string") && server.command.length > 0).toBe(true);
      if (raw.workspace !== undefined) expect(config.workspace).toEqual(raw.workspace); // unknown tables kept as written
      if (typeof raw.bridge === "object" && raw.bridge && "extra_key" in raw.bridge) expect(config.bridge.extra_key).toEqual(raw.bridge.extra_key);
    }),
    { numRuns: 2000 },
  );
});
