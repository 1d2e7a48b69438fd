import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "pathe";
import { main } from "../../src/cli/main";
import { cliReference, renderText, helpModel } from "../../src/cli/usage";

describe("the command reference and --help", () => {
  test("docs/cli.md is what the command definitions say (run `bun scripts/cli-reference.ts` after changing a command)", async () => {
    expect(readFileSync(join(import.meta.dir, "../../docs/cli.md"), "utf8")).toBe(await cliReference(main));
  });

  test("help fits the width it is given", async () => {
    const text = renderText(await helpModel(["loom", "up"], (await import("../../src/cli/commands/up")).default as never), 80);
    expect(Math.max(...text.split("\n").map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(text).toContain("--runtime <auto|native|embedded>"); // up has no remote runtime
  });
});
