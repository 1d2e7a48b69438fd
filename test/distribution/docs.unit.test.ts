/**
 * The README stays true to the tree: its architecture table names every folder of src/ (and no
 * other), in the order scripts/check-layers.ts enforces; its two set-up commands are there; every
 * relative link in the README, CONTRIBUTING.md and docs/ leads to a file that exists.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "pathe";
import { LAYERS } from "../../scripts/check-layers";

const ROOT = join(import.meta.dir, "../..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

test("the README's architecture table lists the folders of src/, lowest layer first", () => {
  const section = readme.slice(readme.indexOf("## Architecture"));
  const named = [...section.matchAll(/^\| ((?:`\w+\/`(?:, )?)+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`(\w+)\/`/g)].map((n) => n[1]!));
  const folders = readdirSync(join(ROOT, "src")).filter((f) => statSync(join(ROOT, "src", f)).isDirectory());
  expect([...named].sort()).toEqual([...folders].sort());
  const layer = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));
  expect(named.map(layer)).toEqual(named.map(layer).sort((a, b) => a - b));
});

test("the README keeps its two set-up commands and stays short", () => {
  expect(readme).toContain("npm ci && npm run demo");
  expect(readme).toContain("npm ci && npm test");
  expect(readme.split("\n").length).toBeLessThanOrEqual(170);
});

test("every relative link in the README, CONTRIBUTING.md and docs/ exists", () => {
  const files = ["README.md", "CONTRIBUTING.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      expect({ file, target, exists: existsSync(join(ROOT, dirname(file), target!)) }).toEqual({ file, target, exists: true });
    }
  }
});
