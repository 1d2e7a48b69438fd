import { describe, expect, test } from "bun:test";
import { platformTag } from "../../src/binaries/platform";
import { compareVersions, normalizeVersion } from "../../src/binaries/release/versions";
import { assertUrlAllowed, authHeaders, retryAfterMs } from "../../src/binaries/release/http";
import { parseShaFile, listedAssets, assetName } from "../../src/binaries/release/assets";
import { parseCachedFileName, cacheDir } from "../../src/binaries/cache";

describe("platformTag", () => {
  const probe = (platform: string, arch: string, rosetta = false) => ({ platform: platform as NodeJS.Platform, arch, rosetta: () => rosetta });
  test.each([
    ["linux", "x64", false, "linux-x86_64"],
    ["linux", "arm64", false, "linux-aarch64"],
    ["darwin", "x64", false, "macos-x86_64"],
    ["darwin", "x64", true, "macos-aarch64"],
    ["darwin", "arm64", false, "macos-aarch64"],
    ["win32", "x64", false, "windows-x86_64"],
  ])("%s %s (rosetta %p) -> %s", (platform, arch, rosetta, tag) => expect(platformTag(probe(platform, arch, rosetta))).toBe(tag as never));
  test("an unsupported platform names the supported ones", () => {
    expect(() => platformTag(probe("freebsd", "x64"))).toThrow(/no release for freebsd\/x64/);
    expect(() => platformTag(probe("win32", "arm64"))).toThrow(/no release/);
  });
});

describe("versions", () => {
  test("v0.1.0 and 0.1.0 are the same", () => {
    expect(normalizeVersion("v0.1.0")).toBe("0.1.0");
    expect(normalizeVersion(" 0.1.0 ")).toBe("0.1.0");
    expect(normalizeVersion("1.2.3-rc.1")).toBe("1.2.3-rc.1");
  });
  test("anything else is a usage error", () => expect(() => normalizeVersion("banana")).toThrow('"banana" is not a runtime version'));
  test("ordering", () => {
    expect(["0.10.0", "0.2.0", "0.2.0-rc.1", "1.0.0"].sort(compareVersions)).toEqual(["0.2.0-rc.1", "0.2.0", "0.10.0", "1.0.0"]);
  });
  test("Python-style tags are versions, ordered as Python orders them; rc.10 after rc.2", () => {
    expect(normalizeVersion("v0.1.0a1")).toBe("0.1.0a1");
    const all = ["0.1.0", "0.2.0-rc.10", "0.2.0-rc.2", "0.1.0a1", "0.1.0rc2", "0.1.0.dev3", "0.1.0b1", "0.2.0", "0.1.0rc10"];
    expect(all.sort(compareVersions)).toEqual(["0.1.0.dev3", "0.1.0a1", "0.1.0b1", "0.1.0rc2", "0.1.0rc10", "0.1.0", "0.2.0-rc.2", "0.2.0-rc.10", "0.2.0"]);
  });
});

describe("http policy", () => {
  test("https anywhere; http only to loopback or with LOOM_ALLOW_HTTP=1", () => {
    expect(() => assertUrlAllowed("https://mirror.example/x", {})).not.toThrow();
    expect(() => assertUrlAllowed("http://127.0.0.1:8080/x", {})).not.toThrow();
    expect(() => assertUrlAllowed("http://localhost/x", {})).not.toThrow();
    expect(() => assertUrlAllowed("http://[::1]:9/x", {})).not.toThrow();
    expect(() => assertUrlAllowed("http://mirror.corp/x", {})).toThrow("refusing to download over http:");
    expect(() => assertUrlAllowed("http://mirror.corp/x", { LOOM_ALLOW_HTTP: "1" })).not.toThrow();
    expect(() => assertUrlAllowed("ftp://x/y", { LOOM_ALLOW_HTTP: "1" })).toThrow("refusing");
    expect(() => assertUrlAllowed("not a url", {})).toThrow("is not a valid URL");
  });
  test("the token goes to GitHub's hosts only", () => {
    const env = { GITHUB_TOKEN: "g", LOOM_GITHUB_TOKEN: "l" };
    expect(authHeaders(new URL("https://github.com/loom-os/loom/releases/download/v1/x"), env)).toEqual({ authorization: "Bearer l" });
    expect(authHeaders(new URL("https://api.github.com/repos/x"), { GITHUB_TOKEN: "g" })).toEqual({ authorization: "Bearer g" });
    expect(authHeaders(new URL("https://objects.githubusercontent.com/x"), env)).toEqual({});
    expect(authHeaders(new URL("https://mirror.example/x"), env)).toEqual({});
    expect(authHeaders(new URL("https://github.com.evil.example/x"), env)).toEqual({});
  });
  test("Retry-After in seconds or as a date, capped", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 5_000)).toBe(5000);
    expect(retryAfterMs("99999")).toBe(60_000);
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe("release and cache names", () => {
  test("asset names follow the contract", () => {
    expect(assetName("loom-core", "v0.1.0", "linux-x86_64")).toBe("loom-core-0.1.0-linux-x86_64.tar.gz");
    expect(assetName("loom-core", "0.1.0", "windows-x86_64")).toBe("loom-core-0.1.0-windows-x86_64.zip");
  });
  test("sha256 files: bare hex, hex and name, sha256sum's binary marker", () => {
    const hex = "a".repeat(64);
    expect(parseShaFile(hex, "x.tar.gz")).toBe(hex);
    expect(parseShaFile(`${hex}  x.tar.gz\n`, "x.tar.gz")).toBe(hex);
    expect(parseShaFile(`${"b".repeat(64)}  y.tar.gz\n${hex} *x.tar.gz\n`, "x.tar.gz")).toBe(hex);
    expect(parseShaFile("nope", "x.tar.gz")).toBeUndefined();
    expect(listedAssets(`${hex}  a.tar.gz\n${hex}  b.zip\n`)).toEqual(["a.tar.gz", "b.zip"]);
  });
  test("cached file names parse back; the cache dir follows XDG and LOOM_CACHE_DIR", () => {
    expect(parseCachedFileName("loom-bridge-v0.1.0-linux-x86_64")).toEqual({
      file: "loom-bridge-v0.1.0-linux-x86_64",
      name: "loom-bridge",
      version: "0.1.0",
      platform: "linux-x86_64",
    });
    expect(parseCachedFileName("checksums.txt")).toBeUndefined();
    expect(cacheDir({ HOME: "/h" })).toBe("/h/.cache/loom/bin");
    expect(cacheDir({ HOME: "/h", XDG_CACHE_HOME: "/x" })).toBe("/x/loom/bin");
    expect(cacheDir({ LOOM_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe("/c");
  });
});
