/**
 * The default source, GitHub, through an injected fetch (no request leaves the machine): `latest`
 * from the releases API, and the token sent to GitHub's own hosts only, never to where a download
 * redirects.
 */
import { expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { getBinary } from "../../src/binaries/get-binary";
import { TAG, newRelease, sha256 } from "../helpers/release";
import { tempDir } from "../helpers/tmp";

test("latest comes from GitHub's API; the token goes to github.com and api.github.com, not to the asset host", async () => {
  const release = newRelease([{ name: "loom-core", version: "0.3.1" }]);
  const seen: { url: string; auth?: string }[] = [];
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const auth = new Headers(init?.headers).get("authorization") ?? undefined;
    seen.push({ url, auth });
    if (url === "https://api.github.com/repos/loom-os/loom/releases/latest") return Response.json({ tag_name: "v0.3.1" });
    const m = /^https:\/\/github\.com\/loom-os\/loom\/releases\/download\/(v[^/]+)\/(.+)$/.exec(url);
    if (m) return new Response(null, { status: 302, headers: { location: `https://objects.githubusercontent.com/${m[1]}/${m[2]}` } });
    const o = /^https:\/\/objects\.githubusercontent\.com\/(v[^/]+)\/(.+)$/.exec(url);
    if (o) {
      try {
        return new Response(readFileSync(join(release, o[1]!, o[2]!)));
      } catch {
        return new Response("Not Found", { status: 404 });
      }
    }
    return new Response("Not Found", { status: 404 });
  }) as typeof fetch;

  const env = { LOOM_CACHE_DIR: join(tempDir(), "cache"), HOME: tempDir(), GITHUB_TOKEN: "ghp_test" };
  const r = await getBinary({ name: "loom-core", version: "latest", projectDir: tempDir(), env, http: { fetch: fakeFetch } });
  expect(r).toMatchObject({ source: "download", version: "0.3.1" });
  expect(r.path).toBe(join(env.LOOM_CACHE_DIR, `loom-core-v0.3.1-${TAG}`));
  for (const s of seen) {
    const host = new URL(s.url).hostname;
    expect(s.auth).toBe(host === "github.com" || host === "api.github.com" ? "Bearer ghp_test" : undefined);
  }
  expect(seen.some((s) => s.url.startsWith("https://objects.githubusercontent.com/"))).toBe(true);
});

test("a non-JSON answer from the API (a captive portal) is a download error that falls back to the cache", async () => {
  const portal = async () => new Response("<html>Sign in to the Wi-Fi</html>", { headers: { "content-type": "text/html" } });
  const cache = join(tempDir(), "cache");
  const env = { LOOM_CACHE_DIR: cache, HOME: tempDir(), LOOM_DOWNLOAD_RETRIES: "0" };
  const none = await getBinary({ name: "loom-core", version: "latest", projectDir: tempDir(), env, http: { fetch: portal } }).then(
    () => undefined,
    (e) => e,
  );
  expect(none.exitCode).toBe(3);
  expect(none.message).toContain('did not answer with JSON (got "<html>Sign in to the Wi-Fi</html>")');
  // With a version cached, that version runs, with a warning.
  const binary = `loom-core-v0.3.1-${TAG}`;
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, binary), "#!/bin/sh\n");
  chmodSync(join(cache, binary), 0o755);
  writeFileSync(join(cache, "checksums.txt"), `${sha256("#!/bin/sh\n")}  ${binary}\n`);
  const warnings: string[] = [];
  const r = await getBinary({ name: "loom-core", version: "latest", projectDir: tempDir(), env, http: { fetch: portal }, hooks: { onWarn: (m) => warnings.push(m) } });
  expect(r).toMatchObject({ source: "cache", version: "0.3.1" });
  expect(warnings.join("\n")).toContain('cannot resolve "latest"');
});
