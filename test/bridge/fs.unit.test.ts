/**
 * The fs tools' confinement, each refusal on its own (docs/security.md "What the tools may touch"):
 * what is opened decides, not the path's text.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "pathe";
import { fsTools, READ_LIMIT, Workspace } from "../../src/bridge/tools/fs";
import { protectedReason } from "../../src/bridge/tools/protect";
import { ToolFailure } from "../../src/bridge/tools/tool-registry";
import { mkfifo } from "../helpers/fifo";
import { tempDir, writeTree } from "../helpers/tmp";

function project() {
  const outside = writeTree(tempDir(), { "secret.txt": "not yours" });
  const root = writeTree(tempDir(), {
    "loom.toml": 'api_key = "sk-live"\n',
    ".env": "KEY=sk-env\n",
    ".env.local": "KEY=sk-local\n",
    ".loom/state.json": "{}",
    ".git/hooks/pre-commit": "#!/bin/sh\n",
    "agents/hello.py": "print('hi')\n",
    "lib/helper.py": "x = 1\n",
    "prompts/system.md": "be nice\n",
    "data/in.txt": "hello",
  });
  // Writable here: data directories, and some that hold code, to show code is refused even there.
  const writable = ["out", "reports", "data", "lib", "prompts", "agents", ".venv", ".git", "workspace", "away", "d"];
  const tools = Object.fromEntries(fsTools(new Workspace(root, ["prompts/**"], writable)).map((t) => [t.name, t]));
  const call = async (name: string, args: Record<string, unknown>) => tools[name]!.call(args, new AbortController().signal);
  const refusal = async (name: string, args: Record<string, unknown>) => {
    try {
      await call(name, args);
    } catch (e) {
      if (e instanceof ToolFailure) return e.message;
      throw e;
    }
    throw new Error(`${name} ${JSON.stringify(args)} was not refused`);
  };
  return { root, outside, call, refusal };
}

describe("fs tools", () => {
  test("read, write (parents made), list and delete inside the project", async () => {
    const p = project();
    expect(await p.call("fs:read_file", { path: "data/in.txt" })).toEqual({ content: "hello" });
    expect(await p.call("fs:write_file", { path: "out/deep/new.txt", content: "héllo" })).toEqual({ success: true, path: "out/deep/new.txt", bytes_written: 6 });
    expect(readFileSync(join(p.root, "out/deep/new.txt"), "utf8")).toBe("héllo");
    expect(await p.call("fs:write_file", { path: "out/deep/new.txt", content: "x" })).toMatchObject({ bytes_written: 1 });
    expect(readFileSync(join(p.root, "out/deep/new.txt"), "utf8")).toBe("x"); // truncated, not appended
    const top = (await p.call("fs:list_dir", {})) as { entries: { name: string }[] };
    expect(top.entries.map((e) => e.name)).toContain("loom.toml");
    expect(top.entries.map((e) => e.name)).not.toContain(".loom");
    expect(await p.call("fs:delete", { path: "out/deep/new.txt" })).toMatchObject({ success: true, was_directory: false });
    expect(await p.call("fs:delete", { path: "out/deep" })).toMatchObject({ success: true, was_directory: true });
  });

  test("never leaves the project: .., absolute paths, a link at any component, a link as the file", async () => {
    const p = project();
    symlinkSync(p.outside, join(p.root, "away"));
    symlinkSync(join(p.outside, "secret.txt"), join(p.root, "data/link.txt"));
    symlinkSync("in.txt", join(p.root, "data/inner-link.txt")); // inside, but still a link
    expect(await p.refusal("fs:read_file", { path: "../secret.txt" })).toContain("outside the project directory");
    expect(await p.refusal("fs:read_file", { path: "data/../../x" })).toContain("outside the project directory");
    expect(await p.refusal("fs:read_file", { path: join(p.outside, "secret.txt") })).toContain("is absolute");
    expect(await p.refusal("fs:read_file", { path: "away/secret.txt" })).toContain("symbolic link");
    expect(await p.refusal("fs:read_file", { path: "data/link.txt" })).toContain("symbolic link");
    expect(await p.refusal("fs:read_file", { path: "data/inner-link.txt" })).toContain("symbolic link");
    expect(await p.refusal("fs:write_file", { path: "away/planted.txt", content: "x" })).toContain("symbolic link");
    expect(await p.refusal("fs:write_file", { path: "data/link.txt", content: "x" })).toContain("symbolic link");
    expect(await p.refusal("fs:list_dir", { path: "away" })).toContain("symbolic link");
    expect(existsSync(join(p.outside, "planted.txt"))).toBe(false);
    expect(readFileSync(join(p.outside, "secret.txt"), "utf8")).toBe("not yours");
    expect(await p.call("fs:delete", { path: "data/link.txt" })).toMatchObject({ success: true }); // the link itself
    expect(existsSync(join(p.outside, "secret.txt"))).toBe(true);
  });

  test("a link into .loom/ does not reach it: state, sockets and the ledger stay loom's", async () => {
    const p = project();
    mkdirSync(join(p.root, "d"));
    symlinkSync("../.loom", join(p.root, "d/up"));
    expect(await p.refusal("fs:read_file", { path: "d/up/state.json" })).toContain("symbolic link");
    expect(await p.refusal("fs:write_file", { path: "d/up/x", content: "x" })).toContain("symbolic link");
    expect(await p.refusal("fs:delete", { path: "d/up/state.json" })).toContain("symbolic link");
    expect(await p.refusal("fs:read_file", { path: ".loom/state.json" })).toContain("under .loom/");
    expect(await p.refusal("fs:list_dir", { path: "./.LOOM" })).toContain("under .loom/");
    expect(existsSync(join(p.root, ".loom/state.json"))).toBe(true);
    expect(existsSync(join(p.root, ".loom/x"))).toBe(false);
  });

  test("a file with another name (a hard link) is neither read nor written", async () => {
    const p = project();
    linkSync(join(p.root, ".env"), join(p.root, "data/notes.txt"));
    expect(await p.refusal("fs:read_file", { path: "data/notes.txt" })).toContain("2 hard links");
    expect(await p.refusal("fs:write_file", { path: "data/notes.txt", content: "gone" })).toContain("2 hard links");
    expect(readFileSync(join(p.root, ".env"), "utf8")).toBe("KEY=sk-env\n");
  });

  test("secrets and configuration are never opened; code is read but never changed", async () => {
    const p = project();
    for (const path of ["loom.toml", ".env", ".env.local", "sub/.env", ".git/hooks/pre-commit", "LOOM.TOML"])
      expect(await p.refusal("fs:read_file", { path }), path).toContain("never");
    expect(await p.refusal("fs:write_file", { path: "loom.toml", content: '[bridge]\nshell_allow = ["sh"]\n' })).toContain("configuration");
    expect(readFileSync(join(p.root, "loom.toml"), "utf8")).toBe('api_key = "sk-live"\n');
    expect(await p.refusal("fs:write_file", { path: ".git/hooks/post-checkout", content: "x" })).toContain(".git/");
    expect(await p.call("fs:read_file", { path: "agents/hello.py" })).toEqual({ content: "print('hi')\n" });
    for (const path of [
      "agents/hello.py",
      "agents/evil.py",
      "agents/notes.txt",
      "lib/helper.py",
      "out/evil.ts",
      ".venv/bin/python",
      "out/package.json",
      "data/bunfig.toml",
      "prompts/system.md",
    ])
      expect(await p.refusal("fs:write_file", { path, content: "x" }), path).toContain("never change");
    expect(await p.refusal("fs:delete", { path: "agents/hello.py" })).toContain("never change");
    expect(readFileSync(join(p.root, "agents/hello.py"), "utf8")).toBe("print('hi')\n");
    expect(existsSync(join(p.root, "agents/evil.py"))).toBe(false);
    expect(await p.call("fs:write_file", { path: "reports/today.md", content: "# report" })).toMatchObject({ success: true });
  });

  test("writes only beneath the writable directories, and never leave an exec bit", async () => {
    const p = project();
    // What a prompt injection wrote on main: an MCP server's command, npm's settings, a payload.
    for (const path of ["bin/mcp-server", ".npmrc", "notes.txt", "WORKSPACE/x.md", "workspace"])
      expect(await p.refusal("fs:write_file", { path, content: "#!/bin/sh\nid\n" }), path).toMatch(/outside the directories the tools may write|not a regular file/);
    expect(existsSync(join(p.root, ".npmrc"))).toBe(false);
    expect(existsSync(join(p.root, "bin"))).toBe(false);
    expect(await p.refusal("fs:delete", { path: "prompts" })).toContain("outside the directories");
    expect(await p.call("fs:write_file", { path: "workspace/reports/a.md", content: "# a" })).toMatchObject({ success: true });
    for (const path of ["workspace/.npmrc", "workspace/.config/pip/pip.conf"])
      expect(await p.refusal("fs:write_file", { path, content: "registry=http://127.0.0.1:1/\n" }), path).toContain("hidden file or directory");
    writeTree(p.root, { "workspace/run": "#!/bin/sh\n" });
    chmodSync(join(p.root, "workspace/run"), 0o755);
    await p.call("fs:write_file", { path: "workspace/run", content: "#!/bin/sh\nid\n" });
    expect(statSync(join(p.root, "workspace/run")).mode & 0o777).toBe(0o644);
  });

  test("a file over READ_LIMIT is refused rather than read into the Bridge (one reply must fit a gRPC message)", async () => {
    const p = project();
    writeTree(p.root, { "data/big.txt": "b".repeat(READ_LIMIT + 1) });
    expect(await p.refusal("fs:read_file", { path: "data/big.txt" })).toContain(`over the ${READ_LIMIT}-byte limit`);
  });

  test("a FIFO is not opened (no hang); a directory is not a file", async () => {
    const p = project();
    mkfifo(join(p.root, "data/pipe"));
    expect(await p.refusal("fs:read_file", { path: "data/pipe" })).toContain("not a regular file");
    expect(await p.refusal("fs:read_file", { path: "data" })).toContain("not a regular file");
  });

  test("the rule, by itself", () => {
    expect(protectedReason("docs/readme.md", "write")).toContain("outside the directories the tools may write (workspace/)");
    expect(protectedReason("workspace/readme.md", "write")).toBeUndefined();
    expect(protectedReason("docs/readme.md", "write", [], ["docs"])).toBeUndefined();
    expect(protectedReason("docs/readme.md", "write", [], [])).toContain("(none)");
    expect(protectedReason("a/.envrc", "read")).toContain("secrets");
    expect(protectedReason("node_modules/x/index.txt", "write", [], ["node_modules"])).toContain("node_modules/");
    expect(protectedReason("tools/run.SH", "write", [], ["tools"])).toContain("code");
    expect(protectedReason("cfg/watched.yaml", "write", ["cfg/*.yaml"], ["cfg"])).toContain("runs or watches");
    expect(protectedReason("cfg/watched.yaml", "read", ["cfg/*.yaml"])).toBeUndefined();
  });
});
