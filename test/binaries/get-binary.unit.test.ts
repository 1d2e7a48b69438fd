/** getBinary through the library against a release server on loopback. */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { getBinary, type GetBinaryOptions } from "../../src/binaries/get-binary";
import { cachedFileName, readChecksums } from "../../src/binaries/cache";
import { LoomError } from "../../src/errors";
import { TAG, addAsset, newRelease, serveRelease, serveTruncating, sha256, versionScript, type AssetSpec, type ReleaseServer } from "../helpers/release";
import { tempDir, writeTree } from "../helpers/tmp";

let servers: ReleaseServer[] = [];
afterEach(() => {
  for (const s of servers) s.stop();
  servers = [];
});

function setup(specs: AssetSpec[] = [{ name: "loom-core", version: "0.1.0" }], latest?: string) {
  const root = newRelease(specs, latest);
  const server = serveRelease(root);
  servers.push(server);
  const cache = join(tempDir(), "cache");
  const env: Record<string, string> = { LOOM_CACHE_DIR: cache, LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_RETRY_BASE_MS: "5", LOOM_DOWNLOAD_RETRIES: "2", HOME: tempDir() };
  const project = tempDir();
  const warnings: string[] = [];
  const get = (opts: Partial<GetBinaryOptions> = {}, extraEnv: Record<string, string> = {}) =>
    getBinary({ name: "loom-core", version: "0.1.0", projectDir: project, env: { ...env, ...extraEnv }, hooks: { onWarn: (m) => warnings.push(m) }, ...opts });
  return { root, server, cache, env, project, get, warnings };
}

/** Every file in the cache dir with its content hash, to prove a failure changed nothing (the empty flock file aside). */
function snapshot(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f !== ".lock-install")
      .map((f) => [f, sha256(readFileSync(join(dir, f)))]),
  );
}

async function failure(p: Promise<unknown>): Promise<LoomError> {
  try {
    await p;
  } catch (e) {
    return e as LoomError;
  }
  throw new Error("expected a failure");
}

describe("download, verify, cache", () => {
  test("downloads, verifies, extracts and records the binary in the cache layout", async () => {
    const { get, cache, server } = setup();
    const r = await get();
    expect(r.source).toBe("download");
    expect(r.path).toBe(join(cache, `loom-core-v0.1.0-${TAG}`));
    expect(readFileSync(r.path, "utf8")).toBe(versionScript("loom-core", "0.1.0")); // the published executable, byte for byte
    expect(statSync(r.path).mode & 0o777).toBe(0o755);
    expect(readChecksums(cache).get(`loom-core-v0.1.0-${TAG}`)).toBe(sha256(readFileSync(r.path)));
    expect(readdirSync(cache).filter((f) => f.startsWith(".tmp-") || f.includes("..tmp-")).length).toBe(0); // no temporary left behind
    expect(server.count(".tar.gz")).toBe(1);
  });

  test("a cache hit makes no request at all", async () => {
    const { get, server } = setup();
    await get();
    const before = server.requests.length;
    const r = await get();
    expect(r.source).toBe("cache");
    expect(server.requests.length).toBe(before);
  });

  test("v0.1.0 and 0.1.0 are the same cached binary", async () => {
    const { get, server } = setup();
    await get({ version: "v0.1.0" });
    expect((await get({ version: "0.1.0" })).source).toBe("cache");
    expect(server.count(".tar.gz")).toBe(1);
  });

  test("--force-download fetches again even with a good cache and a local build", async () => {
    const { get, server, project } = setup();
    writeTree(project, { "target/release/loom-core": versionScript("loom-core", "9.9.9") });
    chmodSync(join(project, "target/release/loom-core"), 0o755);
    await get({ forceDownload: true });
    const r = await get({ forceDownload: true });
    expect(r.source).toBe("download");
    expect(server.count(".tar.gz")).toBe(2);
  });

  test("no binary is ever run to learn what it is: download, cache hit, local build, path override", async () => {
    const marker = join(tempDir(), "ran");
    const runs = `#!/bin/sh\necho "$0 $*" >> ${marker}\nexit 0\n`;
    const { get, project } = setup([{ name: "loom-core", version: "0.1.0", content: runs }]);
    expect((await get()).source).toBe("download");
    expect((await get()).source).toBe("cache");
    writeTree(project, { "target/release/loom-bridge-server": runs });
    chmodSync(join(project, "target/release/loom-bridge-server"), 0o755);
    expect((await get()).source).toBe("local");
    expect((await get({ forceDownload: true }, { LOOM_CORE_PATH: join(project, "target/release/loom-bridge-server") })).source).toBe("override");
    expect(existsSync(marker)).toBe(false);
  });

  test("a cached binary whose hash no longer matches checksums.txt is replaced", async () => {
    const { get, warnings } = setup();
    const r = await get();
    writeFileSync(r.path, versionScript("loom-core", "0.1.0", "echo tampered"));
    expect((await get()).source).toBe("download");
    expect(warnings.join("\n")).toContain("does not match checksums.txt");
    expect(readFileSync(r.path, "utf8")).not.toContain("tampered");
  });
});

describe("local builds and overrides", () => {
  function localBuild(dir: string, profile: string, name: string, version: string) {
    writeTree(dir, { [`target/${profile}/${name}`]: versionScript(name, version) });
    chmodSync(join(dir, `target/${profile}/${name}`), 0o755);
  }

  test("release before debug; LOOM_PREFER_DEBUG=1 and preferDebug flip it; no request is made", async () => {
    const { get, project, server } = setup();
    localBuild(project, "release", "loom-core", "0.2.0");
    localBuild(project, "debug", "loom-core", "0.3.0-dev");
    expect(await get()).toEqual({ path: join(project, "target/release/loom-core"), source: "local" });
    expect((await get({}, { LOOM_PREFER_DEBUG: "1" })).path).toBe(join(project, "target/debug/loom-core"));
    expect((await get({ preferDebug: true })).path).toBe(join(project, "target/debug/loom-core"));
    expect(server.requests.length).toBe(0);
  });

  test("found upward to the Cargo workspace root, also under the workspace's name loom-bridge-server", async () => {
    const { get } = setup();
    const ws = writeTree(tempDir(), { "Cargo.toml": '[workspace]\nmembers = ["bridge"]\n', "apps/demo/loom.toml": "" });
    localBuild(ws, "debug", "loom-bridge-server", "0.1.0");
    const r = await get({ projectDir: join(ws, "apps/demo") });
    expect(r).toMatchObject({ source: "local", path: join(ws, "target/debug/loom-bridge-server") });
  });

  test("without a workspace root, parent directories are not searched", async () => {
    const { get, server } = setup();
    const top = tempDir();
    localBuild(top, "release", "loom-core", "0.2.0");
    mkdirSync(join(top, "app"));
    expect((await get({ projectDir: join(top, "app") })).source).toBe("download");
    expect(server.count(".tar.gz")).toBe(1);
  });

  test("LOOM_CORE_PATH wins; a missing one is a configuration error", async () => {
    const { get, project } = setup();
    localBuild(project, "release", "custom", "1.2.3");
    const path = join(project, "target/release/custom");
    expect(await get({}, { LOOM_CORE_PATH: path })).toEqual({ path, source: "override" });
    const e = await failure(get({}, { LOOM_CORE_PATH: "/nonexistent/loom-core" }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain("LOOM_CORE_PATH points to /nonexistent/loom-core");
  });
});

describe("latest", () => {
  test("resolves through the mirror's latest.txt, is remembered, and never cached as 'latest'", async () => {
    const { get, server, cache } = setup(
      [
        { name: "loom-core", version: "0.1.0" },
        { name: "loom-core", version: "0.2.0" },
      ],
      "v0.2.0",
    );
    const r = await get({ version: "latest" });
    expect(r.version).toBe("0.2.0");
    await get({ version: "latest" });
    expect(server.count("/latest.txt")).toBe(1);
    expect(readdirSync(cache).some((f) => f.includes("latest") && f !== "resolved-versions.json")).toBe(false);
  });

  test("offline, the newest cached version is used with a warning", async () => {
    const { get, server, warnings } = setup([
      { name: "loom-core", version: "0.1.0" },
      { name: "loom-core", version: "0.3.0" },
    ]);
    await get({ version: "0.1.0" });
    await get({ version: "0.3.0" });
    server.stop();
    const r = await get({ version: "latest" });
    expect(r).toMatchObject({ version: "0.3.0", source: "cache" });
    expect(warnings.join("\n")).toContain('cannot resolve "latest" (offline');
    const offline = await get({ version: "latest" }, { LOOM_OFFLINE: "1" });
    expect(offline.version).toBe("0.3.0");
  });

  test("a mirror that cannot say what latest is: the newest cached version, with a warning; nothing cached is exit 3", async () => {
    const { get, warnings, server } = setup([{ name: "loom-core", version: "0.2.0" }]);
    const none = await failure(get({ version: "latest" }));
    expect(none.exitCode).toBe(3);
    expect(none.message).toContain("latest.txt answered HTTP 404");
    await get({ version: "0.2.0" });
    server.on("/latest.txt", () => new Response("rate limited", { status: 429 }));
    expect(await get({ version: "latest" })).toMatchObject({ version: "0.2.0", source: "cache" });
    expect(warnings.join("\n")).toContain('cannot resolve "latest"');
  });

  test("LOOM_OFFLINE=1 with nothing cached fails fast naming what is missing", async () => {
    const { get, server } = setup();
    const e = await failure(get({}, { LOOM_OFFLINE: "1" }));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("LOOM_OFFLINE=1 and loom-core 0.1.0");
    expect(server.requests.length).toBe(0);
  });
});

describe("failures leave the cache as it was", () => {
  async function expectFailure(ctx: ReturnType<typeof setup>, message: RegExp | string, code = 3, extraEnv: Record<string, string> = {}) {
    const before = snapshot(ctx.cache);
    const e = await failure(ctx.get({}, extraEnv));
    expect(e).toBeInstanceOf(LoomError);
    expect(e.exitCode).toBe(code);
    if (typeof message === "string") expect(e.message).toContain(message);
    else expect(e.message).toMatch(message);
    expect(snapshot(ctx.cache)).toEqual(before);
    return e;
  }

  test("wrong checksum: exit 3 with both hashes, nothing cached", async () => {
    const ctx = setup([{ name: "loom-core", version: "0.1.0", wrongChecksum: true }]);
    const e = await expectFailure(ctx, /checksum mismatch for loom-core-0\.1\.0-.*: expected 0{64}, got [0-9a-f]{64}/);
    expect(e.hint).toContain("nothing was installed");
  });

  test("no checksum published: refused unless LOOM_CHECKSUM_IGNORE_MISSING=1", async () => {
    const ctx = setup([{ name: "loom-core", version: "0.1.0", shaFile: false, inChecksums: false }]);
    await expectFailure(ctx, "no checksum is published");
    const r = await ctx.get({}, { LOOM_CHECKSUM_IGNORE_MISSING: "1" });
    expect(r.source).toBe("download");
    expect(ctx.warnings.join("\n")).toContain("WITHOUT checksum verification");
  });

  test("the checksum comes from checksums.txt when there is no .sha256 file", async () => {
    const ctx = setup([{ name: "loom-core", version: "0.1.0", shaFile: false }]);
    expect((await ctx.get()).source).toBe("download");
  });

  test("404: the release exists but not for this binary, and the message lists what it has", async () => {
    const ctx = setup([{ name: "loom-bridge", version: "0.1.0" }]);
    const e = await expectFailure(ctx, `release v0.1.0 has no runtime for ${TAG} (tried loom-core-0.1.0-${TAG}.tar.gz, loom-bridge-server-0.1.0-${TAG}.tar.gz`);
    expect(e.details.join("\n")).toContain(`loom-bridge-0.1.0-${TAG}.tar.gz`);
    expect(e.hint).toContain("cargo build --release -p loom-bridge --bin loom-bridge-server");
    expect(ctx.server.count(".tar.gz")).toBe(2); // each candidate asked once: a 404 is not retried
  });

  test("404 for a release that does not exist", async () => {
    const ctx = setup();
    const before = snapshot(ctx.cache);
    const e = await failure(ctx.get({ version: "9.9.9" }));
    expect(e.message).toContain(`release v9.9.9 or its runtime for ${TAG} does not exist`);
    expect(snapshot(ctx.cache)).toEqual(before);
  });

  test("server 500 then success: retried", async () => {
    const ctx = setup();
    ctx.server.on(`/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`, (_req, n) => (n === 1 ? new Response("boom", { status: 500 }) : undefined));
    expect((await ctx.get()).source).toBe("download");
    expect(ctx.server.count(".tar.gz")).toBe(2);
  });

  test("429 honours Retry-After", async () => {
    const ctx = setup();
    ctx.server.on(`/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`, (_req, n) => (n === 1 ? new Response("slow down", { status: 429, headers: { "retry-after": "0" } }) : undefined));
    expect((await ctx.get()).source).toBe("download");
  });

  test("a server that always fails: exit 3 naming the URL", async () => {
    const ctx = setup();
    ctx.server.on(`/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`, () => new Response("down", { status: 503 }));
    await expectFailure(ctx, /loom-core-0\.1\.0-.*\.tar\.gz answered HTTP 503/);
    expect(ctx.server.count(".tar.gz")).toBe(3);
  });

  test("truncated body (Content-Length not reached): retried, then fails with nothing cached", async () => {
    const ctx = setup();
    const raw = serveTruncating(ctx.root, ".tar.gz");
    try {
      await expectFailure(ctx, /download of .*\.tar\.gz failed: .*(ended after \d+ of \d+ bytes|closed|reset)/, 3, { LOOM_DOWNLOAD_BASE_URL: raw.url });
    } finally {
      raw.stop();
    }
  });

  test("a body cut short without a length is caught by the checksum", async () => {
    const ctx = setup();
    const bytes = readFileSync(join(ctx.root, `v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`));
    ctx.server.on(
      `/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`,
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(bytes.subarray(0, bytes.length >> 1));
              c.close();
            },
          }),
        ),
    );
    await expectFailure(ctx, "checksum mismatch");
  });

  test("stalled transfer: gives up after the stall timeout", async () => {
    const ctx = setup();
    ctx.server.on(
      `/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz`,
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new Uint8Array(10));
            },
          }),
          { headers: { "content-length": "1000" } },
        ),
    );
    await expectFailure(ctx, /no data for 0\.03s/, 3, { LOOM_DOWNLOAD_TIMEOUT_SEC: "0.03", LOOM_DOWNLOAD_RETRIES: "1" });
  });

  test("connection refused: exit 3 suggesting a mirror or offline use", async () => {
    const ctx = setup();
    ctx.server.stop();
    const e = await expectFailure(ctx, /cannot reach .*: the connection was refused/);
    expect(e.hint).toContain("LOOM_DOWNLOAD_BASE_URL");
    expect(e.hint).toContain("LOOM_OFFLINE=1");
  });
});

describe("what is sent where", () => {
  test("a GitHub token is never sent to a mirror", async () => {
    const ctx = setup();
    await ctx.get({}, { GITHUB_TOKEN: "ghp_secret", LOOM_GITHUB_TOKEN: "ghp_other" });
    expect(ctx.server.requests.length).toBeGreaterThan(0);
    for (const r of ctx.server.requests) expect(r.headers.authorization).toBeUndefined();
  });

  test("plain http to a non-loopback mirror is refused before any request", async () => {
    const ctx = setup();
    const e = await failure(ctx.get({}, { LOOM_DOWNLOAD_BASE_URL: "http://mirror.example.invalid/loom" }));
    expect(e.message).toContain("refusing to download over http: from mirror.example.invalid");
    expect(e.exitCode).toBe(3);
  });

  test("a redirect from the mirror to plain http elsewhere is refused", async () => {
    const ctx = setup();
    ctx.server.on(`/v0.1.0/loom-core-0.1.0-${TAG}.tar.gz.sha256`, () => Response.redirect("http://mirror.example.invalid/x.sha256", 302));
    const e = await failure(ctx.get());
    expect(e.message).toContain("refusing to download over http:");
  });
});

test("a second version is added beside the first, both recorded", async () => {
  const ctx = setup([
    { name: "loom-core", version: "0.1.0" },
    { name: "loom-core", version: "0.2.0" },
  ]);
  await ctx.get({ version: "0.1.0" });
  await ctx.get({ version: "0.2.0" });
  expect([...readChecksums(ctx.cache).keys()].sort()).toEqual([cachedFileName("loom-core", "0.1.0", TAG), cachedFileName("loom-core", "0.2.0", TAG)]);
  addAsset(ctx.root, { name: "loom-bridge", version: "0.1.0" });
  expect((await ctx.get({ name: "loom-bridge" })).path).toBe(join(ctx.cache, cachedFileName("loom-bridge", "0.1.0", TAG)));
});

describe("a shared cache is not a trusted cache", () => {
  test("a cache directory others can write is refused (exit 2) before anything in it is used", async () => {
    const { get, cache, server } = setup();
    await get();
    const requests = server.requests.length;
    chmodSync(cache, 0o777);
    const e = await failure(get());
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`refusing to use the runtime cache ${cache}: it is writable by everyone (mode 0777)`);
    expect(e.hint).toContain(`chmod go-w ${cache}`);
    expect(server.requests.length).toBe(requests);
  });

  test("a checksums.txt others can write is refused", async () => {
    const { get, cache } = setup();
    await get();
    chmodSync(join(cache, "checksums.txt"), 0o666);
    expect((await failure(get())).message).toContain(`refusing to use the runtime cache's ${join(cache, "checksums.txt")}: it is writable by everyone`);
  });

  test.skipIf(process.getuid?.() !== 0)("a cache owned by another user is refused, even for a download", async () => {
    const { get, cache } = setup();
    mkdirSync(cache, { recursive: true });
    chownSync(cache, 65534, 65534);
    expect((await failure(get())).message).toBe(`refusing to use the runtime cache ${cache}: it is owned by nobody, not by you`);
    expect((await failure(get({ forceDownload: true }))).exitCode).toBe(2);
  });
});
