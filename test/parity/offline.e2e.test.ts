/**
 * Offline and integrity (the upstream-parity issue): a name that does not resolve is not retried,
 * a failed `latest` lookup is remembered, and a checksum mismatch is an alarm in every runtime mode.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "pathe";
import { newRelease, serveRelease } from "../helpers/release";
import { loom, makeProject } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

describe("offline", () => {
  test("a release host that does not resolve: no retry, the embedded Bridge at once; the failed lookup is remembered", async () => {
    const root = makeProject();
    writeFileSync(join(root, "loom.toml"), 'name = "offline"\n'); // version "latest", the default
    const env = { LOOM_DOWNLOAD_BASE_URL: "https://release.invalid/loom", LOOM_CACHE_DIR: join(tempDir(), "bin"), LOOM_RETRY_BASE_MS: "2000" };
    const first = await loom(["up", "--detach", ...FREE], root, env);
    expect(first.code, first.all).toBe(0);
    expect(first.err).toContain("using the embedded Bridge");
    expect(first.err).not.toContain("retrying");
    expect((await loom(["down"], root)).code).toBe(0);
    const second = await loom(["up", "--detach", ...FREE], root, env);
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/could not be looked up \d+ min ago .*not asking again/);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("loom ping to a host name that does not resolve says so, without asking for an IP in loom.toml", async () => {
    const r = await loom(["ping", "-c", "1", "--address", "bridge.invalid:50051"], tempDir());
    expect(r.code).toBe(2);
    expect(r.err).toContain('"bridge.invalid"');
    expect(r.err).not.toContain("[bridge] address");
  });
});

describe("integrity", () => {
  test("a checksum mismatch under runtime = auto is exit 3 with the hint, never a silent fallback", async () => {
    const server = serveRelease(newRelease([{ name: "loom-core", version: "0.1.0", wrongChecksum: true }]));
    try {
      const root = makeProject([], "");
      const r = await loom(["up", "--detach", "--runtime", "auto", ...FREE], root, { LOOM_DOWNLOAD_BASE_URL: server.url, LOOM_CACHE_DIR: join(tempDir(), "bin") });
      expect(r.code).toBe(3);
      expect(r.err).toContain("checksum mismatch");
      expect(r.err).toContain("--runtime embedded");
      expect(r.err).not.toContain("using the embedded Bridge");
    } finally {
      server.stop();
    }
  });
});
