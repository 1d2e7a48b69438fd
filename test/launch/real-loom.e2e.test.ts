/**
 * Issue 9 through dist/loom, against a runtime double that behaves like upstream's
 * loom-bridge-server: it ignores every argument (`--version` starts it serving), exits 1 on a host
 * name in LOOM_BRIDGE_ADDR, installs no signal handlers.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { grpcHeartbeat } from "../../src/net/health";
import { freePort } from "../../src/net/ports";
import { serveRelease } from "../helpers/release";
import { doubleBinary, layoutRelease, leftIn, loom, makeProject } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

/** Live processes whose command line is the runtime double (by any of its names). */
function runtimesIn(root: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (/loom-(core|bridge)/.test(cmd.split("\0")[0]!) && readlinkSync(`/proc/${pid}/cwd`) === root) out.push(Number(pid));
    } catch {}
  }
  return out;
}

describe("the three release layouts on record", () => {
  for (const layout of ["ours", "python-sdk", "build-docs"] as const)
    test(`${layout}: install runs nothing; up starts the runtime; down stops it`, async () => {
      const server = serveRelease(layoutRelease(layout));
      try {
        const root = makeProject();
        const ran = join(tempDir(), "exec.log");
        const env = { LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_CACHE_DIR: join(tempDir(), "bin"), DOUBLE_EXEC_LOG: ran };
        const install = await loom(["install"], root, env);
        expect(install.code).toBe(0);
        expect(install.err).toContain("(verified download, v0.1.0)");
        expect(existsSync(ran)).toBe(false); // never executed to learn what it is
        const up = await loom(["up", "--detach", ...FREE], root, env);
        expect(up.code).toBe(0);
        expect(up.err).toContain("(cache, v0.1.0)");
        const address = /bridge\s+(\S+)/.exec(up.out)![1]!;
        expect((await grpcHeartbeat(address)).ok).toBe(true);
        expect(readFileSync(ran, "utf8").trim().split("\n")).toHaveLength(1); // one runtime, started once
        expect((await loom(["down"], root)).code).toBe(0);
        expect(await leftIn(root)).toEqual([]);
      } finally {
        server.stop();
      }
    });
});

describe("a local build", () => {
  test("target/release/loom-bridge-server: exactly one runtime, no download, reported as a local build", async () => {
    const root = makeProject();
    mkdirSync(join(root, "target/release"), { recursive: true });
    copyFileSync(doubleBinary(), join(root, "target/release/loom-bridge-server"));
    chmodSync(join(root, "target/release/loom-bridge-server"), 0o755);
    const ran = join(tempDir(), "exec.log");
    const up = await loom(["up", "--detach", ...FREE], root, { LOOM_DOWNLOAD_BASE_URL: "http://127.0.0.1:9", DOUBLE_EXEC_LOG: ran });
    expect(up.code).toBe(0);
    expect(up.err).toContain("runtime: target/release/loom-bridge-server (local build)");
    expect(readFileSync(ran, "utf8").trim().split("\n")).toHaveLength(1);
    expect(runtimesIn(root)).toHaveLength(1);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("an explicit path (LOOM_CORE_PATH) is used as it is", async () => {
    const root = makeProject();
    const ran = join(tempDir(), "exec.log");
    const up = await loom(["up", "--detach", ...FREE], root, { LOOM_CORE_PATH: doubleBinary(), LOOM_DOWNLOAD_BASE_URL: "http://127.0.0.1:9", DOUBLE_EXEC_LOG: ran });
    expect(up.code).toBe(0);
    expect(up.err).toContain(`runtime: ${doubleBinary()} (path from the environment)`);
    expect(readFileSync(ran, "utf8").trim().split("\n")).toHaveLength(1);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("a version the release does not have: the hint names up's own flag, --runtime-version", async () => {
    const root = makeProject();
    const up = await loom(["up", "--runtime", "native", "--runtime-version", "9.9.9", ...FREE], root);
    expect(up.code).toBe(3);
    expect(up.err).toContain("or --runtime-version)");
  });

  test("CARGO_TARGET_DIR is honoured", async () => {
    const root = makeProject();
    const target = tempDir();
    mkdirSync(join(target, "debug"));
    copyFileSync(doubleBinary(), join(target, "debug/loom-bridge-server"));
    chmodSync(join(target, "debug/loom-bridge-server"), 0o755);
    const up = await loom(["up", "--detach", ...FREE], root, { CARGO_TARGET_DIR: target, LOOM_DOWNLOAD_BASE_URL: "http://127.0.0.1:9" });
    expect(up.code).toBe(0);
    expect(up.err).toContain(`runtime: ${join(target, "debug/loom-bridge-server")} (local build)`);
    expect((await loom(["down"], root)).code).toBe(0);
  });
});

describe("what the runtime and the agents read", () => {
  test('address = "localhost:PORT" reaches the runtime as 127.0.0.1:PORT (it accepts only IP literals)', async () => {
    const port = await freePort("127.0.0.1");
    const root = makeProject([], "[dashboard]\nenabled = false\n");
    writeFileSync(join(root, "loom.toml"), readFileSync(join(root, "loom.toml"), "utf8").replace("[bridge]\n", `[bridge]\naddress = "localhost:${port}"\n`));
    const up = await loom(["up", "--detach", "--dashboard-port", "0"], root);
    expect(up.code).toBe(0);
    expect(up.out).toContain(`bridge     127.0.0.1:${port}`);
    expect((await grpcHeartbeat(`127.0.0.1:${port}`)).ok).toBe(true);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("[agents.<id>] script binds the file to the id: it runs once, under that name", async () => {
    const root = makeProject(["idle.py"], '[agents.idle-agent]\nscript = "agents/idle.py"\ntopics = ["x"]\n[agents.ghost]\nenabled = false\n');
    const run = await loom(["run", "--detach", ...FREE], root);
    expect(run.code).toBe(0);
    expect(run.out).toContain("agents     idle-agent\n");
    expect(run.err).toContain('[agents.ghost] sets enabled, but no agent is named "ghost" (agents: idle-agent)');
    const status = JSON.parse((await loom(["status", "--json"], root)).out);
    expect(status.processes.map((p: { name: string }) => p.name)).toEqual(["core", "idle-agent"]);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("loom config warns, with the line, where the Python SDK's loader reads loom.toml differently", async () => {
    const root = makeProject([], '[llm.deepseek]\nbase_url = "https://api.deepseek.com/v1"\nmodel = "${MODEL:-deepseek-chat}"\n[agents.data-agent]\nhome = "$$HOME"\n');
    const r = await loom(["config"], root);
    expect(r.code).toBe(0);
    expect(r.err).toContain("loom.toml:6:12: Python agents read `api_base`, not `base_url`");
    expect(r.err).toContain('loom.toml:7:9: Python agents expand only ${VAR}: an agent reading `llm.deepseek.model` sees "${MODEL:-deepseek-chat}"');
    expect(r.err).toContain("an agent reading `agents.data-agent.home`");
  });
});

describe("loom doctor", () => {
  /** An interpreter that says it is Python 3.12 with the SDK and grpc importable. */
  function fakePython(): string {
    const path = join(tempDir(), "python3");
    writeFileSync(path, '#!/bin/sh\nprintf "3.12.1\\nok\\nok\\n"\n');
    chmodSync(path, 0o755);
    return path;
  }

  test("a project that can run: exit 0, naming the runtime it would use and each agent", async () => {
    // Free ports of its own: the defaults (50051, 3030) may be taken on the machine running the tests.
    const ports = `address = "127.0.0.1:${await freePort("127.0.0.1")}"\n[dashboard]\nport = ${await freePort("127.0.0.1")}\n`;
    const root = makeProject(["idle.py", "idle.ts"], `${ports}[agents.idle]\ntopics = ["x"]\n`);
    const r = await loom(["doctor"], root, { LOOM_PYTHON: fakePython(), LOOM_CACHE_DIR: join(tempDir(), "bin") }); // nothing cached yet
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok +runtime +not here yet: `loom run` will download loom-core-0\.1\.0-\S+\.tar\.gz \(v0\.1\.0, checksum published\)/);
    expect(r.out).toMatch(/ok +agents +idle \(agents\/idle\.py, \[agents\.idle\]\), idle-2 \(agents\/idle\.ts\)/);
    expect(r.out).toMatch(/ok +python +\S+python3 3\.12\.1 for idle: loom and grpc import/);
    expect(r.out).toContain("`loom run` can work here.");
    const json = JSON.parse((await loom(["doctor", "--json"], root, { LOOM_PYTHON: fakePython() })).out);
    expect(json.ok).toBe(true);
  });

  test("a Python without the SDK, and no native runtime to be had (runtime = native): exit 1 with each fix; nothing started", async () => {
    const root = makeProject(["idle.py"]);
    writeFileSync(join(root, "loom.toml"), readFileSync(join(root, "loom.toml"), "utf8").replace("[bridge]\n", '[bridge]\nruntime = "native"\n'));
    const server = serveRelease(tempDir()); // a release with nothing in it
    try {
      const r = await loom(["doctor"], root, { LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_PYTHON: "python3", LOOM_CACHE_DIR: join(tempDir(), "bin") });
      expect(r.code).toBe(5);
      expect(r.out).toMatch(/FAIL +runtime +nothing built \(target\/release, target\/debug\), nothing cached, and release v0\.1\.0 has no asset for/);
      expect(r.out).toContain("fix: build it: `cargo build --release -p loom-bridge --bin loom-bridge-server` in a loom checkout");
      expect(r.out).toMatch(/FAIL +python +python3 \S+ for idle: cannot import loom/);
      expect(r.out).toContain("loom-os/loom#subdirectory=loom-py");
      expect(await leftIn(root)).toEqual([]);
      // With the default, runtime = "auto", the embedded Bridge stands in, and doctor says so.
      writeFileSync(join(root, "loom.toml"), readFileSync(join(root, "loom.toml"), "utf8").replace('runtime = "native"\n', ""));
      const auto = await loom(["doctor"], root, { LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_PYTHON: "python3", LOOM_CACHE_DIR: join(tempDir(), "bin") });
      expect(auto.out).toMatch(/ok +runtime +no native runtime \(.*\); `loom run` will use the embedded Bridge/);
    } finally {
      server.stop();
    }
  });
});

describe("loom doctor never runs the project's files", () => {
  test("a loom.py in the project is not what `import loom` finds; a .venv/bin/python that is a script is not run", async () => {
    const root = makeProject(["idle.py"]);
    const marker = join(tempDir(), "ran");
    writeFileSync(join(root, "loom.py"), `open(${JSON.stringify(marker)}, "w").write("loom.py ran")\n`);
    const r = await loom(["doctor"], root, { LOOM_PYTHON: "/usr/bin/python3" });
    expect(r.out).toMatch(/python +\/usr\/bin\/python3 /);
    expect(existsSync(marker)).toBe(false);
    mkdirSync(join(root, ".venv/bin"), { recursive: true });
    writeFileSync(join(root, ".venv/bin/python"), `#!/bin/sh\necho venv > ${marker}\n`);
    chmodSync(join(root, ".venv/bin/python"), 0o755);
    const venv = await loom(["doctor"], root);
    // Which protection holds the tools here, said either way.
    expect(venv.out).toMatch(
      /ok +tools +system:shell runs in the tools' sandbox \(Landlock ABI \d+\): it reads the project less .env, loom.toml, .loom\/ and .git\/, writes only workspace\//,
    );
    expect((await loom(["doctor"], root, { LOOM_SANDBOX: "off" })).out).toMatch(/ok +tools +no Landlock here .*system:shell's default list holds no command that reads files/);
    expect(venv.out).toMatch(/warn +python +\S+\.venv\/bin\/python for idle is a file of the project \(\.venv\/bin\/python\): loom doctor does not run the project's files/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("loom ping", () => {
  test("Heartbeat round trips to the running project's Bridge, with latency; none answering is exit 4", async () => {
    const root = makeProject();
    expect((await loom(["up", "--detach", ...FREE], root)).code).toBe(0);
    const r = await loom(["ping", "--count", "3", "--interval", "0.05"], root);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/heartbeat from 127\.0\.0\.1:\d+: seq=3 time=\d+\.\d\d ms/);
    expect(r.out).toMatch(/3 sent, 3 answered, min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms/);
    expect((await loom(["down"], root)).code).toBe(0);
    const port = await freePort("127.0.0.1");
    const none = await loom(["ping", "--count", "1", "--address", `localhost:${port}`], root);
    expect(none.code).toBe(4);
    expect(none.out).toContain(`no heartbeat from localhost:${port}: seq=1 connection refused`);
    expect(none.err).toContain(`the Bridge at localhost:${port} did not answer`);
  });
});
