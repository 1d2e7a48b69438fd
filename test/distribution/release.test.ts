/**
 * The release build and the install script, end to end: `bun run build:release` output served by
 * a release server on loopback, `scripts/install.sh` run under dash and bash (and busybox sh and
 * zsh where installed) into temporary HOMEs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { makePythonStubs, pythonGrpcReady } from "../../scripts/python-stubs";
import { renderFormula } from "../../scripts/render-formula";
import { RELEASE_TARGETS, archiveName } from "../../scripts/release-targets";
import { ROOT, ensureBuilt } from "../helpers/loom";
import { sha256 } from "../helpers/release";
import { RELEASE_DIR, RELEASE_VERSION, ensureRelease } from "../helpers/release-build";
import { tempDir } from "../helpers/tmp";

const VERSION = RELEASE_VERSION;
const OUT = RELEASE_DIR;
const INSTALL = join(ROOT, "scripts/install.sh");
const HOST = process.arch === "arm64" ? "linux-arm64" : "linux-x64";
let server: ReturnType<typeof Bun.serve> | undefined;
let base = "";
const overrides = new Map<string, () => Response>();

beforeAll(async () => {
  await ensureRelease();
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      const custom = overrides.get(path);
      if (custom) return custom();
      const m = /^\/(?:latest\/download|download\/v([^/]+))\/([^/]+)$/.exec(path);
      if (!m || (m[1] && m[1] !== VERSION) || !existsSync(join(OUT, m[2]!))) return new Response("Not Found", { status: 404 });
      return new Response(Bun.file(join(OUT, m[2]!)));
    },
  });
  base = `http://127.0.0.1:${server.port}`;
}, 600_000);
afterAll(() => server?.stop(true));

describe("bun run build:release", () => {
  test("an archive per target, checksums.txt over them, the rendered formula", () => {
    const files = readdirSync(OUT).sort();
    for (const t of RELEASE_TARGETS) expect(files).toContain(archiveName(VERSION, t));
    const sums = readFileSync(join(OUT, "checksums.txt"), "utf8").trim().split("\n");
    expect(sums).toHaveLength(RELEASE_TARGETS.length);
    for (const line of sums) {
      const [hex, file] = line.split(/\s+/);
      expect(sha256(readFileSync(join(OUT, file!)))).toBe(hex!);
    }
    expect(readFileSync(join(OUT, "loom.rb"), "utf8")).toBe(renderFormula(readFileSync(join(OUT, "checksums.txt"), "utf8"), VERSION));
  });

  test("the shipped binary is built like the tested one (bytecode included: within 1% of dist/loom's size)", () => {
    const dir = tempDir();
    Bun.spawnSync(["tar", "-xzf", join(OUT, `loom-${VERSION}-${HOST}.tar.gz`), "-C", dir]);
    const shipped = statSync(join(dir, "loom")).size;
    const tested = statSync(ensureBuilt()).size;
    expect(Math.abs(shipped - tested) / tested).toBeLessThan(0.01); // without --bytecode it is ~3% smaller
  });

  test("the host binary runs with no node or bun anywhere on PATH", () => {
    const dir = tempDir();
    Bun.spawnSync(["tar", "-xzf", join(OUT, `loom-${VERSION}-${HOST}.tar.gz`), "-C", dir]);
    const bare = tempDir(); // a PATH with nothing on it: no node, no bun
    const r = Bun.spawnSync(["/usr/bin/env", "-i", `PATH=${bare}`, `HOME=${dir}`, join(dir, "loom"), "--version"]);
    expect(r.stdout.toString().trim()).toBe(`loom ${VERSION}`);
    const init = Bun.spawnSync(["/usr/bin/env", "-i", `PATH=${bare}`, `HOME=${dir}`, join(dir, "loom"), "init", join(dir, "p")]);
    expect(init.exitCode).toBe(0);
  });

  test("the formula has one url and sha256 per platform and a version test", () => {
    const rb = readFileSync(join(OUT, "loom.rb"), "utf8");
    const sums = readFileSync(join(OUT, "checksums.txt"), "utf8");
    for (const p of ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"]) {
      const hex = new RegExp(`^([0-9a-f]{64})  loom-${VERSION}-${p}\\.tar\\.gz$`, "m").exec(sums)![1];
      expect(rb).toContain(`url "https://github.com/loom-os/loom-cli/releases/download/v${VERSION}/loom-${VERSION}-${p}.tar.gz"\n      sha256 "${hex}"`);
    }
    expect(rb).toContain('assert_match "loom #{version}"');
    if (Bun.which("ruby")) expect(Bun.spawnSync(["ruby", "-c", join(OUT, "loom.rb")]).exitCode).toBe(0);
  });
});

const SHELLS = ["dash", "bash", "busybox", "zsh"].filter((s) => Bun.which(s));

/** Runs the script asynchronously: the release server lives in this process and must keep answering. */
async function install(shell: string, args: string[] = [], env: Record<string, string> = {}) {
  const home = env.HOME ?? tempDir("loom-install-home-");
  const argv = shell === "busybox" ? ["busybox", "sh", INSTALL, ...args] : [shell, INSTALL, ...args];
  const p = Bun.spawn(argv, {
    env: { PATH: "/usr/bin:/bin", HOME: home, SHELL: "/bin/bash", LOOM_DOWNLOAD_BASE_URL: base, ...env },
    stdin: "ignore", // no terminal: the script must never prompt
    stdout: "pipe",
    stderr: "pipe",
    timeout: 120_000,
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err, home };
}

describe("scripts/install.sh", () => {
  test("passes shellcheck -s sh", () => {
    if (!Bun.which("shellcheck")) return console.warn("shellcheck is not installed; skipped");
    const r = Bun.spawnSync(["shellcheck", "-s", "sh", INSTALL]);
    expect(r.stdout.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  for (const shell of SHELLS)
    test(`${shell}: a fresh install of latest, verified, onto PATH once`, async () => {
      const first = await install(shell);
      expect(first.err).toBe("");
      expect(first.code).toBe(0);
      expect(first.out).toContain(`installed loom ${VERSION} to ${first.home}/.loom/bin/loom`);
      const rc = readFileSync(join(first.home, ".bashrc"), "utf8");
      expect(rc.match(/\.loom\/bin/g)).toHaveLength(1);
      const again = await install(shell, [], { HOME: first.home });
      expect(again.code).toBe(0);
      expect(readFileSync(join(first.home, ".bashrc"), "utf8").match(/\.loom\/bin/g)).toHaveLength(1);
      expect(readdirSync(join(first.home, ".loom/bin"))).toEqual(["loom"]);
    });

  test("a pinned version (argument or LOOM_VERSION), LOOM_INSTALL_DIR and --no-modify-path", async () => {
    const dir = join(tempDir(), "bin");
    const r = await install("dash", ["v0.1.0", "--no-modify-path"], { LOOM_INSTALL_DIR: dir });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "loom"))).toBe(true);
    expect(existsSync(join(r.home, ".bashrc"))).toBe(false);
    expect(r.out).toContain(`add ${dir} to your PATH`);
    const env = await install("dash", [], { LOOM_VERSION: "0.1.0", LOOM_NO_MODIFY_PATH: "1" });
    expect(env.code).toBe(0);
    expect(existsSync(join(env.home, ".bashrc"))).toBe(false);
  });

  test("a tampered archive is refused and nothing is installed", async () => {
    const asset = `loom-${VERSION}-${HOST}.tar.gz`;
    const bytes = readFileSync(join(OUT, asset));
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    overrides.set(`/latest/download/${asset}`, () => new Response(bytes));
    try {
      const r = await install("dash");
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/error: checksum mismatch for loom-0\.1\.0-.*: expected [0-9a-f]{64}, got [0-9a-f]{64}/);
      expect(existsSync(join(r.home, ".loom/bin/loom"))).toBe(false);
    } finally {
      overrides.clear();
    }
  });

  test("no checksum for this platform, or no checksums.txt at all: refused", async () => {
    overrides.set(
      "/latest/download/checksums.txt",
      () =>
        new Response(
          readFileSync(join(OUT, "checksums.txt"), "utf8")
            .split("\n")
            .filter((l) => !l.includes(`-${HOST}.tar.gz`))
            .join("\n"),
        ),
    );
    try {
      const r = await install("bash");
      expect(r.code).not.toBe(0);
      expect(r.err).toContain(`error: release latest has no loom for ${HOST}`);
      expect(existsSync(join(r.home, ".loom"))).toBe(false);
      overrides.set("/latest/download/checksums.txt", () => new Response("gone", { status: 404 }));
      const gone = await install("bash");
      expect(gone.err).toContain(`error: could not download ${base}/latest/download/checksums.txt`);
      expect(gone.err).toMatch(/curl: \(22\)/); // curl's own error is shown, not hidden
    } finally {
      overrides.clear();
    }
  });

  test("a version that does not exist: names the URL", async () => {
    const r = await install("dash", ["9.9.9"]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`error: could not download ${base}/download/v9.9.9/checksums.txt`);
    expect(r.err).toContain("check the version (9.9.9)");
  });

  test("an unsupported platform (a simulated uname) is named", async () => {
    const bin = tempDir();
    writeFileSync(join(bin, "uname"), '#!/bin/sh\ncase "$1" in -s) echo FreeBSD ;; -m) echo amd64 ;; esac\n');
    chmodSync(join(bin, "uname"), 0o755);
    const r = await install("dash", [], { PATH: `${bin}:/usr/bin:/bin` });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("error: loom has no build for FreeBSD");
    const arch = tempDir();
    writeFileSync(join(arch, "uname"), '#!/bin/sh\ncase "$1" in -s) echo Linux ;; -m) echo riscv64 ;; esac\n');
    chmodSync(join(arch, "uname"), 0o755);
    expect((await install("dash", [], { PATH: `${arch}:/usr/bin:/bin` })).err).toContain("no build for the riscv64 processor");
  });
});

describe("the GitHub Action", () => {
  test("action.yml: a node24 action with main, post (always) and the documented inputs and outputs", () => {
    const action = Bun.YAML.parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as {
      runs: Record<string, string>;
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
    };
    expect(action.runs).toEqual({ using: "node24", main: "action/dist/main.js", post: "action/dist/post.js", "post-if": "always()" });
    for (const input of ["version", "runtime-version", "runtime", "mode", "working-directory", "start", "upload-logs"]) expect(action.inputs).toHaveProperty(input);
    expect(Object.keys(action.outputs).sort()).toEqual(["bridge-address", "loom-path"]);
    for (const f of ["main.js", "post.js"]) expect(existsSync(join(ROOT, "action/dist", f))).toBe(true);
  });

  test("the committed bundles are built from the current source (npm run build:action)", () => {
    const out = tempDir();
    for (const f of ["main", "post"]) {
      const r = Bun.spawnSync([process.execPath, "build", "--target", "node", "--minify", join(ROOT, `action/src/${f}.ts`), "--outfile", join(out, `${f}.js`)], { cwd: ROOT });
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(out, `${f}.js`), "utf8") === readFileSync(join(ROOT, `action/dist/${f}.js`), "utf8")).toBe(true);
    }
  });

  /** Runs one of the action's steps in `project` as a runner would, with files for its outputs. */
  async function actionRunner(project: string) {
    const { runtimeEnv } = await import("../helpers/runtime");
    const files = tempDir();
    for (const f of ["output", "state", "env", "path"]) writeFileSync(join(files, f), "");
    const run = (script: string, extra: Record<string, string>) => {
      const p = Bun.spawn(["node", join(ROOT, "action/dist", script)], {
        cwd: project,
        env: {
          PATH: process.env.PATH!,
          HOME: files,
          RUNNER_TOOL_CACHE: join(files, "tool-cache"),
          GITHUB_OUTPUT: join(files, "output"),
          GITHUB_STATE: join(files, "state"),
          GITHUB_ENV: join(files, "env"),
          GITHUB_PATH: join(files, "path"),
          INPUT_VERSION: VERSION,
          "INPUT_DOWNLOAD-BASE-URL": base,
          "INPUT_WORKING-DIRECTORY": project,
          INPUT_START: "true",
          "INPUT_UPLOAD-LOGS": "always",
          ...runtimeEnv(),
          ...extra,
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      return Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    };
    return { files, run };
  }

  test("its main step installs loom, fetches and starts the runtime; its post step stops it", async () => {
    const { makeProject, leftIn } = await import("../helpers/runtime");
    const project = makeProject();
    const { files, run: runner } = await actionRunner(project);
    const [out, err, code] = await runner("main.js", {});
    expect(err).toBe(""); // loom's own lines reach the log through core.info, not stderr
    expect(code).toBe(0);
    expect(out).toContain("installed and verified");
    const outputs = readFileSync(join(files, "output"), "utf8");
    expect(outputs).toContain("loom-path<<");
    const bridge = /bridge-address<<\S+\n(\S+)\n/.exec(outputs)![1]!;
    expect(readFileSync(join(files, "env"), "utf8")).toContain(bridge);
    expect(readFileSync(join(files, "path"), "utf8")).toContain(join(files, "tool-cache/loom"));
    const { grpcHeartbeat } = await import("../../src/net/health");
    expect((await grpcHeartbeat(bridge)).ok).toBe(true);

    // The post step gets the saved state as STATE_* variables, as the runner passes it.
    const state: Record<string, string> = {};
    for (const m of readFileSync(join(files, "state"), "utf8").matchAll(/^(\S+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) state[`STATE_${m[1]}`] = m[3]!;
    const [postOut, , postCode] = await runner("post.js", state);
    expect(postCode).toBe(0);
    expect(postOut).toContain("stopped loom");
    expect(postOut).toContain("not on a GitHub runner: would upload");
    expect(await leftIn(project)).toEqual([]);
  });

  test.skipIf(!pythonGrpcReady())("start: agents returns once the agents registered with the (embedded) Bridge", async () => {
    const { makeProject, leftIn, protoAgentTable } = await import("../helpers/runtime");
    const stubs = makePythonStubs(tempDir());
    const answerer = protoAgentTable("answerer", stubs);
    const project = makeProject([], answerer);
    const { run } = await actionRunner(project);
    const [out, , code] = await run("main.js", { INPUT_START: "agents", INPUT_RUNTIME: "embedded" });
    expect(code).toBe(0);
    expect(out).toContain("$ loom run --detach --wait-agents --runtime embedded");
    expect(out).toContain("agents registered with the Bridge: answerer-agent");
    const [bad, , badCode] = await run("main.js", { INPUT_START: "yes" });
    expect(badCode).not.toBe(0);
    expect(bad).toContain('the input start must be true, runtime, agents or false, not "yes"');
    const [, , postCode] = await run("post.js", { STATE_started: "true", "STATE_working-directory": project, "STATE_loom-path": join(ROOT, "dist/loom") });
    expect(postCode).toBe(0);
    expect(await leftIn(project)).toEqual([]);
  });
});
