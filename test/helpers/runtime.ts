/**
 * The runtime double (test/fixtures/runtime-double.ts) compiled with `bun build --compile` and
 * packed like a release, served on loopback; temporary projects; loom processes the tests start
 * and always stop; and the check that nothing is left behind.
 */
import { DEBIAN_PYTHON } from "../../scripts/python-stubs";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "pathe";
import { ROOT, cleanEnv, ensureBuilt } from "./loom";
import { TAG, serveRelease, sha256, type ReleaseServer } from "./release";
import { RUNTIME_VERSION, runtimeRelease } from "../../scripts/runtime-double";
import { tempDir, writeTree } from "./tmp";

export const AGENTS_DIR = join(ROOT, "test/fixtures/agents");
export { RUNTIME_VERSION, runtimeRelease };

let server: ReleaseServer | undefined;
let cacheDir: string | undefined;

/** Stops the shared release server (test/setup.ts, when the run ends). */
export function stopReleaseServer(): void {
  server?.stop();
  server = undefined;
}

/** Environment for loom in these tests: the loopback release and one cache shared by the file. */
export function runtimeEnv(extra: Record<string, string> = {}): Record<string, string> {
  server ??= serveRelease(runtimeRelease());
  cacheDir ??= join(tempDir("loom-cache-"), "bin");
  return { LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_CACHE_DIR: cacheDir, ...extra };
}

/** The compiled runtime double itself (it behaves like upstream's loom-bridge-server). */
export function doubleBinary(): string {
  return join(runtimeRelease(), "..", "bin", "loom-core");
}

/**
 * A release of the double in one of the three layouts on record (docs/runtime-contract.md
 * "Releases"): ours, the Python SDK's, upstream's build docs'. Returns the release root.
 */
export function layoutRelease(layout: "ours" | "python-sdk" | "build-docs"): string {
  if (layout === "ours") return runtimeRelease();
  const root = tempDir("loom-layout-");
  const dir = join(root, `v${RUNTIME_VERSION}`);
  const work = tempDir("loom-pack-");
  mkdirSync(dir, { recursive: true });
  copyFileSync(doubleBinary(), join(work, "loom-bridge-server"));
  const asset = `${layout === "python-sdk" ? "loom-bridge-server" : "loom-core"}-${RUNTIME_VERSION}-${TAG}.tar.gz`;
  const r = Bun.spawnSync(["sh", "-c", `chmod 755 loom-bridge-server && tar -cf - loom-bridge-server | gzip -1 > "${join(dir, asset)}"`], { cwd: work });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  const hex = sha256(readFileSync(join(dir, asset)));
  if (layout === "python-sdk") writeFileSync(join(dir, `${asset}.sha256`), `${hex}\n`);
  else writeFileSync(join(dir, "SHA256SUMS.txt"), `${hex}  ${asset}\n`);
  return root;
}

export function releaseServer(): ReleaseServer {
  runtimeEnv();
  return server!;
}

/** A project with loom.toml and the named fixture agents copied into agents/. */
export function makeProject(agents: string[] = [], toml = "", files: Record<string, string> = {}): string {
  const root = tempDir("loom-project-");
  writeTree(root, { "loom.toml": `name = "test"\n[bridge]\nversion = "${RUNTIME_VERSION}"\ntimeout_sec = 20\n${toml}`, ...files });
  if (agents.length) mkdirSync(join(root, "agents"), { recursive: true });
  for (const a of agents) copyFileSync(join(AGENTS_DIR, a), join(root, "agents", a));
  projects.push(root);
  return root;
}

const projects: string[] = [];

/** A project made elsewhere (`loom init`), stopped after the test like those of makeProject. */
export function trackProject(root: string): void {
  projects.push(root);
}
const running: LoomProcess[] = [];

/** Processes whose working directory is `root` (everything loom starts for a project). */
export function processesIn(root: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat[stat.lastIndexOf(")") + 2] === "Z") continue;
      if (readlinkSync(`/proc/${pid}/cwd`) === root) out.push(Number(pid));
    } catch {}
  }
  return out;
}

/** Polls until nothing runs in `root` (or the deadline); returns what is left. */
export async function leftIn(root: string, deadlineMs = 5_000): Promise<number[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = processesIn(root);
    if (left.length === 0 || Date.now() > end) return left;
    await Bun.sleep(25);
  }
}

export async function poll<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, deadlineMs = 15_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

/** A loom command running in the background, its output collected. */
export class LoomProcess {
  readonly proc: ReturnType<typeof Bun.spawn>;
  out = "";
  err = "";
  readonly exited: Promise<number>;

  constructor(
    args: string[],
    readonly cwd: string,
    env: Record<string, string> = {},
  ) {
    this.proc = Bun.spawn([ensureBuilt(), ...args], { cwd, env: cleanEnv(runtimeEnv(env)), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const read = async (s: ReadableStream<Uint8Array>, k: "out" | "err") => {
      for await (const c of s) this[k] += new TextDecoder().decode(c);
    };
    const pumps = Promise.all([read(this.proc.stdout as ReadableStream<Uint8Array>, "out"), read(this.proc.stderr as ReadableStream<Uint8Array>, "err")]);
    this.exited = this.proc.exited.then(async (c) => {
      await Promise.race([pumps, Bun.sleep(500)]);
      return c;
    });
    running.push(this);
  }

  get all(): string {
    return this.out + this.err;
  }

  waitFor(pattern: RegExp | string, deadlineMs = 20_000): Promise<true> {
    return poll(
      `${pattern} in the output of loom ${this.cwd}:\n${this.all}`,
      () => (typeof pattern === "string" ? this.all.includes(pattern) : pattern.test(this.all)) || undefined,
      deadlineMs,
    );
  }

  signal(sig: NodeJS.Signals): void {
    try {
      this.proc.kill(sig);
    } catch {}
  }
}

/** Runs a loom command to completion. */
export async function loom(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string; all: string }> {
  const p = new LoomProcess(args, cwd, env);
  const code = await p.exited;
  return { code, out: p.out, err: p.err, all: p.all };
}

/**
 * Every test stops what it started, even when it failed: loom down, then SIGKILL for anything
 * left. Registered for every test of every file by test/setup.ts (a hook registered here would
 * attach only to the first test file that imports this module).
 */
export async function stopEverything(): Promise<void> {
  for (const p of running.splice(0)) p.signal("SIGKILL");
  for (const root of projects.splice(0)) {
    if (existsSync(join(root, ".loom/state.json"))) await loom(["down", "--grace", "1"], root).catch(() => {});
    for (const pid of processesIn(root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
}

export { resolve };

/**
 * `[agents.<role>]` running test/fixtures/agents/proto_agent.py as `role` with Debian's Python
 * and the stubs made in `stubs` (scripts/python-stubs.ts): an agent written against the protocol.
 */
export function protoAgentTable(role: string, stubs: string): string {
  return `[agents.${role}]\ncommand = ["${DEBIAN_PYTHON}", "${join(AGENTS_DIR, "proto_agent.py")}", "${role}"]\nenv = { PYTHONPATH = "${stubs}" }\n`;
}
