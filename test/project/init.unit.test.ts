/**
 * `loom init` in a cloned repository never writes through a symbolic link: `.gitignore`,
 * `agents/` or `tsconfig.json` aimed elsewhere (even dangling) are left as they are and reported.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { initProject } from "../../src/project/init";
import { tempDir } from "../helpers/tmp";

describe("loom init and links", () => {
  test("links in the target are skipped, never followed; the rest is created", () => {
    const dir = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, "authorized_keys"), "ssh-ed25519 AAAA owner\n");
    symlinkSync(join(outside, "authorized_keys"), join(dir, ".gitignore"));
    symlinkSync(outside, join(dir, "agents"));
    symlinkSync(join(outside, "nowhere.json"), join(dir, "tsconfig.json")); // dangling
    const result = initProject(dir, "ts");
    expect(readFileSync(join(outside, "authorized_keys"), "utf8")).toBe("ssh-ed25519 AAAA owner\n");
    expect(readdirSync(outside)).toEqual(["authorized_keys"]);
    expect(existsSync(join(outside, "nowhere.json"))).toBe(false);
    expect(result.skipped).toEqual(expect.arrayContaining([".gitignore", "tsconfig.json"]));
    expect(result.skipped.some((f) => f.startsWith("agents/"))).toBe(true);
    expect(result.created).toContain("loom.toml");
  });

  test("a file where agents/ should be: skipped, not a crash", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "agents"), "not a directory");
    const result = initProject(dir, "ts");
    expect(result.skipped.some((f) => f.startsWith("agents/"))).toBe(true);
  });
});
