/**
 * The CI workflow runs what exists: every test path it or `npm run test:portable` names matches a
 * test file, and every npm script it runs is defined (a misspelt name silently runs nothing).
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "pathe";

const ROOT = join(import.meta.dir, "../..");
const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
const workflows = readdirSync(join(ROOT, ".github/workflows")).map((f) => readFileSync(join(ROOT, ".github/workflows", f), "utf8"));
const testFiles = (readdirSync(join(ROOT, "test"), { recursive: true }) as string[]).filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`);

test("every test path the workflows and test:portable name matches a test file", () => {
  const named = [...workflows, scripts["test:portable"] ?? ""].flatMap((text) => text.match(/\btest\/[\w./-]+/g) ?? []);
  expect(named.length).toBeGreaterThan(0);
  for (const path of named) expect({ path, matches: testFiles.some((f) => f.startsWith(path)) }).toEqual({ path, matches: true });
});

test("every npm script and file the workflows run exists", () => {
  for (const text of workflows) {
    for (const [, name] of text.matchAll(/npm run ([\w:-]+)/g)) expect({ name, defined: name! in scripts }).toEqual({ name, defined: true });
    for (const [, file] of text.matchAll(/(?:bash|bun) ((?:\.ci|scripts)\/[\w./-]+)/g)) expect({ file, exists: existsSync(join(ROOT, file!)) }).toEqual({ file, exists: true });
  }
});
