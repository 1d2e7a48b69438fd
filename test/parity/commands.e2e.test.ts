/** The commands upstream's users type (upstream's Python CLI is also named `loom`), through dist/loom. */
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { cleanEnv, ensureBuilt } from "../helpers/loom";
import { doubleBinary, loom, makeProject, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

/** A Python that says the SDK imports (or not) and records how it was run. */
function fakePython(importExit = 0): { path: string; record: string } {
  const dir = tempDir();
  const record = join(dir, "argv.txt");
  const path = join(dir, "python3");
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = "-c" ]; then echo "ModuleNotFoundError: No module named 'loom'" >&2; exit ${importExit}; fi\nprintf '%s\\n' "$@" > "${record}"\necho "LOOM_BRIDGE_ADDR=$LOOM_BRIDGE_ADDR" >> "${record}"\n`,
  );
  chmodSync(path, 0o755);
  return { path, record };
}

describe("upstream's command names", () => {
  test("new and create make a project as init does", async () => {
    const dir = tempDir();
    for (const cmd of ["new", "create"]) {
      const r = await loom([cmd, join(dir, cmd)], dir);
      expect(r.code, r.all).toBe(0);
      expect(existsSync(join(dir, cmd, "loom.toml"))).toBe(true);
    }
    expect((await loom(["--help"], dir)).out).toMatch(/new\s+The same as `loom init`/);
  });

  test("run DIR, --logs and --startup-wait are accepted and say what loom does instead", async () => {
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n');
    const r = await loom(["run", root, "--detach", "--logs", "--startup-wait", "2", ...FREE], tempDir());
    expect(r.code, r.all).toBe(0);
    expect(r.err).toContain("--logs: loom always keeps each process's log");
    expect(r.err).toContain("--startup-wait: loom starts the agents once the runtime answers its Heartbeat");
    expect(r.out).toContain("agents     idle");
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("dev runs the runtime from a local build, and says how to make one when there is none", async () => {
    const root = makeProject();
    const none = await loom(["dev", "--port", "0"], root);
    expect(none.code).toBe(3);
    expect(none.err).toContain("no local build of the runtime");
    expect(none.err).toContain("cargo build --release -p loom-bridge --bin loom-bridge-server");
    mkdirSync(join(root, "target/release"), { recursive: true });
    copyFileSync(doubleBinary(), join(root, "target/release/loom-bridge-server"));
    chmodSync(join(root, "target/release/loom-bridge-server"), 0o755);
    const dev = Bun.spawn([ensureBuilt(), "dev", "--port", "0"], { cwd: root, env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
    try {
      let err = "";
      void (async () => {
        for await (const c of dev.stderr as ReadableStream<Uint8Array>) err += new TextDecoder().decode(c);
      })();
      await poll("the local build running", () => err.includes("target/release/loom-bridge-server (local build)"));
      await poll("ready", async () => (await loom(["status"], root)).code === 0);
    } finally {
      dev.kill("SIGINT");
      await dev.exited;
    }
  });

  test("chat and proto run the project's Python SDK with the running Bridge's address; without the SDK, the install command", async () => {
    const root = makeProject([], 'runtime = "embedded"\n');
    expect((await loom(["up", "--detach", ...FREE], root)).code).toBe(0);
    const py = fakePython();
    const chat = await loom(["chat", "--agent-id", "helper"], root, { LOOM_PYTHON: py.path });
    expect(chat.code, chat.all).toBe(0);
    const argv = readFileSync(py.record, "utf8").split("\n");
    expect(argv.slice(0, 5)).toEqual(["-m", "loom.cli.main", "chat", "--address", `unix:${join(root, ".loom/bridge.sock")}`]);
    expect(argv.slice(5, 7)).toEqual(["--agent-id", "helper"]);
    expect(argv).toContain(`LOOM_BRIDGE_ADDR=unix:${join(root, ".loom/bridge.sock")}`);
    const proto = await loom(["proto"], root, { LOOM_PYTHON: py.path });
    expect(proto.code).toBe(0);
    expect(readFileSync(py.record, "utf8").split("\n").slice(0, 3)).toEqual(["-m", "loom.cli.main", "proto"]);
    const missing = await loom(["chat"], root, { LOOM_PYTHON: fakePython(1).path });
    expect(missing.code).toBe(4);
    expect(missing.err).toContain("is the Loom Python SDK's command");
    expect(missing.err).toContain("pip install");
    expect(missing.err).toContain("loom-os/loom#subdirectory=loom-py");
  });

  test("doctor says when another loom (upstream's Python CLI) comes first on PATH", async () => {
    const root = makeProject([], 'runtime = "embedded"\n');
    const bin = tempDir();
    writeFileSync(join(bin, "loom"), "#!/usr/bin/python3\nfrom loom.cli import main\nmain()\n");
    chmodSync(join(bin, "loom"), 0o755);
    const r = await loom(["doctor"], root, { PATH: `${bin}:${process.env.PATH}` });
    expect(r.out + r.err).toContain(`typing \`loom\` runs upstream's Python CLI (${join(bin, "loom")}), not this loom`);
  });
});

describe("restart --runtime", () => {
  test("keeps the agents by default and says what an SDK agent loses; --agents restarts them too", async () => {
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n');
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const pid = () => JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8")).children.idle.pid as number;
    const before = pid();
    const kept = await loom(["restart", "--runtime"], root);
    expect(kept.code, kept.all).toBe(0);
    expect(kept.err).toContain("loom restart --runtime --agents");
    expect(pid()).toBe(before);
    const both = await loom(["restart", "--runtime", "--agents"], root);
    expect(both.code, both.all).toBe(0);
    expect(both.out).toContain("core: restarted");
    expect(both.out).toContain("idle: restarted");
    expect(pid()).not.toBe(before);
    expect((await loom(["down"], root)).code).toBe(0);
  });
});
