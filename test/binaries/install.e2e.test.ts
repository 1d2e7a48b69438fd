/** `loom install` and `loom cache` through dist/loom, against a release server on loopback. */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { LOOM, runLoom, cleanEnv } from "../helpers/loom";
import { TAG, newRelease, serveRelease, type ReleaseServer } from "../helpers/release";
import { tempDir, writeTree } from "../helpers/tmp";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

function world(
  specs = [
    { name: "loom-core", version: "0.1.0" },
    { name: "loom-bridge", version: "0.1.0" },
  ],
  latest = "0.1.0",
) {
  const server: ReleaseServer = serveRelease(newRelease(specs, latest));
  stops.push(server.stop);
  const cache = join(tempDir(), "cache");
  const project = writeTree(tempDir(), { "loom.toml": '[bridge]\nversion = "0.1.0"\n' });
  const env = { LOOM_CACHE_DIR: cache, LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_RETRY_BASE_MS: "5" };
  const loom = (args: string[], extra: Record<string, string> = {}) => runLoom(args, { cwd: project, env: { ...env, ...extra } });
  return { server, cache, project, env, loom };
}

describe("loom install", () => {
  test("fetches, verifies and reports; the second run uses the cache", async () => {
    const w = world();
    const first = await w.loom(["install"]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`loom-core: ${join(w.cache, `loom-core-v0.1.0-${TAG}`)} (verified download, v0.1.0)`);
    const second = await w.loom(["install"]);
    expect(second.stderr).toContain("(cache, v0.1.0)");
    expect(w.server.count(".tar.gz")).toBe(1);
  });

  test("--mode all fetches both runtimes; --mode bridge-only only loom-bridge", async () => {
    const w = world();
    expect((await w.loom(["install", "--mode", "bridge-only"])).code).toBe(0);
    expect(readdirSync(w.cache).filter((f) => f.startsWith("loom-"))).toEqual([`loom-bridge-v0.1.0-${TAG}`]);
    expect((await w.loom(["install", "--mode", "all"])).code).toBe(0);
    expect(
      readdirSync(w.cache)
        .filter((f) => f.startsWith("loom-"))
        .sort(),
    ).toEqual([`loom-bridge-v0.1.0-${TAG}`, `loom-core-v0.1.0-${TAG}`]);
  });

  test("[bridge] binary names the workspace binary", async () => {
    const w = world([{ name: "loom-bridge-server", version: "0.1.0" }]);
    writeFileSync(join(w.project, "loom.toml"), '[bridge]\nversion = "0.1.0"\nbinary = "loom-bridge-server"\n');
    const r = await w.loom(["install"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(w.cache, `loom-bridge-server-v0.1.0-${TAG}`))).toBe(true);
  });

  test("a bad --mode is a usage error; a 404 version exits 3 with the URL (native), or says the embedded Bridge will run (auto)", async () => {
    const w = world();
    const bad = await w.loom(["install", "--mode", "fast"]);
    expect(bad.code).toBe(2);
    const missing = await w.loom(["install", "--version", "7.7.7", "--runtime", "native"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`tried loom-core-7.7.7-${TAG}.tar.gz, loom-bridge-server-7.7.7-${TAG}.tar.gz at ${w.server.url}/v7.7.7/`);
    const auto = await w.loom(["install", "--version", "7.7.7"]);
    expect(auto.code).toBe(0);
    expect(auto.stderr).toContain("`loom up` and `loom run` will use the embedded Bridge (--runtime native to make this an error)");
    const embedded = await w.loom(["install", "--runtime", "embedded"]);
    expect(embedded.code).toBe(0);
    expect(embedded.stderr).toContain("the embedded Bridge (inside loom); nothing to install");
  });

  test("a bad numeric setting names the variable (exit 2)", async () => {
    const w = world();
    const r = await w.loom(["install"], { LOOM_DOWNLOAD_TIMEOUT_SEC: "soon" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LOOM_DOWNLOAD_TIMEOUT_SEC must be a number of at least 0.001, not "soon"');
  });

  test("LOOM_OFFLINE=1 with an empty cache exits 3 at once, without a request", async () => {
    const w = world();
    const r = await w.loom(["install", "--runtime", "native"], { LOOM_OFFLINE: "1" });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("LOOM_OFFLINE=1");
    expect(w.server.requests.length).toBe(0);
  });

  test("two concurrent installs: both succeed, one download, an intact cache", async () => {
    const w = world();
    // A slow asset keeps the first install inside its lock while the second one starts.
    w.server.on(`/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`, async () => {
      await Bun.sleep(300);
      return undefined;
    });
    const [a, b] = await Promise.all([w.loom(["install"]), w.loom(["install"])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(w.server.count(".tar.gz")).toBe(1);
    const verify = await w.loom(["install"]);
    expect(verify.stderr).toContain("(cache, v0.1.0)");
    // Only the lock file stays (a flock file must not be unlinked: a waiter could then lock a new one).
    expect(readdirSync(w.cache).filter((f) => f.startsWith("."))).toEqual([".lock-install"]);
  });

  test("a killed install leaves nothing the next install does not clean, and no lock held", async () => {
    const w = world();
    let stall = true;
    w.server.on(`/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`, () =>
      stall ? new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(4096)) }), { headers: { "content-length": "100000" } }) : undefined,
    );
    const killed = Bun.spawn([LOOM, "install"], { cwd: w.project, env: cleanEnv(w.env), stdout: "ignore", stderr: "ignore" });
    const temps = () => (existsSync(w.cache) ? readdirSync(w.cache).filter((f) => f.startsWith(".tmp-")) : []);
    const deadline = Date.now() + 15_000;
    while (temps().length === 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(temps().length).toBe(1);
    killed.kill("SIGKILL");
    await killed.exited;
    stall = false;
    const next = await w.loom(["install"]);
    expect(next.code).toBe(0);
    expect(next.stderr).not.toContain("waiting for it");
    expect(temps()).toEqual([]);
  });

  test("HTTP_PROXY is used for downloads", async () => {
    const w = world();
    const seen: string[] = [];
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        seen.push(req.url);
        const upstream = await fetch(req.url, { headers: req.headers });
        return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
      },
    });
    stops.push(() => proxy.stop(true));
    const r = await w.loom(["install"], { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, http_proxy: `http://127.0.0.1:${proxy.port}` });
    expect(r.code).toBe(0);
    expect(seen.some((u) => u.endsWith(".tar.gz"))).toBe(true);
  });
});

describe("loom cache", () => {
  test("path, list (text and JSON) and clean --version / --all", async () => {
    const w = world([
      { name: "loom-core", version: "0.1.0" },
      { name: "loom-core", version: "0.2.0" },
    ]);
    await w.loom(["install", "--version", "0.1.0"]);
    await w.loom(["install", "--version", "0.2.0"]);
    expect((await w.loom(["cache", "path"])).stdout.trim()).toBe(w.cache);
    const list = JSON.parse((await w.loom(["cache", "list", "--json"])).stdout);
    expect(list.map((e: { version: string }) => e.version)).toEqual(["0.1.0", "0.2.0"]);
    expect((await w.loom(["cache", "list"])).stdout).toContain("loom-core");

    const outsider = join(w.cache, "my-notes.txt");
    writeFileSync(outsider, "not loom's");
    const one = await w.loom(["cache", "clean", "--version", "v0.1.0"]);
    expect(one.code).toBe(0);
    expect(JSON.parse((await w.loom(["cache", "list", "--json"])).stdout).map((e: { version: string }) => e.version)).toEqual(["0.2.0"]);
    expect((await w.loom(["cache", "clean", "--all"])).code).toBe(0);
    expect(readdirSync(w.cache).filter((f) => f !== ".lock-install")).toEqual(["my-notes.txt"]); // nothing but loom's own files removed
  });

  test("clean needs --version or --all", async () => {
    const r = await runLoom(["cache", "clean"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("needs exactly one of --version V or --all");
  });
});

describe("progress", () => {
  test("a pipe (CI logs) gets a few plain lines", async () => {
    const w = world();
    const piped = await w.loom(["install"]);
    expect(piped.stderr).toContain("[info] downloading"); // loom's own lines keep stdout parseable
    expect(piped.stdout).not.toContain("[info]");
    expect(piped.stdout + piped.stderr).not.toContain("\r");
  });

  test.skipIf(!Bun.which("script"))("a terminal (util-linux `script`) gets a progress bar", async () => {
    const w = world();
    const cache2 = join(tempDir(), "cache");
    const env = { ...cleanEnv({ ...w.env, LOOM_CACHE_DIR: cache2 }), TERM: "xterm" };
    const p = Bun.spawn(["script", "-qec", `${LOOM} install`, "/dev/null"], { cwd: w.project, env, stdout: "pipe", stderr: "pipe", stdin: "pipe" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    expect(out).toMatch(/\rloom-core-0\.1\.0-.*\.tar\.gz \[[#-]{30}\] \d+% /);
  });
});
