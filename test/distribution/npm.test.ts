/**
 * The npm channel: the packages `bun run build:release` packs (dist/release/npm), served by a
 * registry on loopback that knows only them, installed with npm into a temporary prefix. npm
 * installs the main package and this platform's executable, skips the other platforms' packages
 * as their os/cpu/libc say, checks every tarball against the integrity the registry published;
 * then `npx loom --version`, `npx loom doctor` and the library imported by Bun.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { MAIN_PACKAGE } from "../../scripts/npm-packages";
import { RELEASE_DIR, RELEASE_VERSION, ensureRelease } from "../helpers/release-build";
import { tempDir } from "../helpers/tmp";

const NPM_DIR = join(RELEASE_DIR, "npm");
const HOST = `${process.platform}-${process.arch}`;
let registry: ReturnType<typeof Bun.serve> | undefined;
/** Packages whose published integrity is a lie (another tarball's). */
const lying = new Set<string>();
let prefix = "";
const npmEnv = () => ({
  PATH: process.env.PATH!,
  HOME: tempDir("npm-home-"),
  npm_config_registry: registry!.url.href,
  npm_config_cache: tempDir("npm-cache-"),
  npm_config_userconfig: "/dev/null",
  npm_config_update_notifier: "false",
  npm_config_audit: "false",
  npm_config_fund: "false",
  NO_COLOR: "1",
});

/** A registry that serves each packed tarball and its packument (name, version, os/cpu/libc, bin, integrity). */
function serveRegistry(): ReturnType<typeof Bun.serve> {
  const packages = new Map<string, { manifest: Record<string, unknown>; file: string }>();
  for (const file of readdirSync(NPM_DIR).filter((f) => f.endsWith(".tgz"))) {
    const path = join(NPM_DIR, file);
    const manifest = JSON.parse(Bun.spawnSync(["tar", "-xzOf", path, "package/package.json"]).stdout.toString());
    const bytes = readFileSync(path);
    const dist = {
      integrity: `sha512-${new Bun.CryptoHasher("sha512").update(bytes).digest("base64")}`,
      shasum: new Bun.CryptoHasher("sha1").update(bytes).digest("hex"),
    };
    packages.set(manifest.name, { manifest: { ...manifest, dist }, file: path });
  }
  const server: ReturnType<typeof Bun.serve> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req): Response {
      const path = decodeURIComponent(new URL(req.url).pathname.slice(1));
      const tarball = /^(.+)\/-\/[^/]+\.tgz$/.exec(path);
      const pkg = packages.get(tarball ? tarball[1]! : path);
      if (!pkg) return Response.json({ error: "Not found" }, { status: 404 });
      if (tarball) return new Response(Bun.file(pkg.file));
      const version = pkg.manifest.version as string;
      const base = `http://127.0.0.1:${server.port}`;
      const integrity = lying.has(pkg.manifest.name as string) ? `sha512-${new Bun.CryptoHasher("sha512").update("another tarball").digest("base64")}` : undefined;
      const dist = {
        ...(pkg.manifest.dist as object),
        ...(integrity ? { integrity } : {}),
        tarball: `${base}/${pkg.manifest.name}/-/${(pkg.manifest.name as string).split("/")[1]}-${version}.tgz`,
      };
      return Response.json({ name: pkg.manifest.name, "dist-tags": { latest: version }, versions: { [version]: { ...pkg.manifest, dist } } });
    },
  });
  return server;
}

beforeAll(async () => {
  await ensureRelease();
  registry = serveRegistry();
  prefix = tempDir("npm-prefix-");
  writeFileSync(join(prefix, "package.json"), '{"name": "try-loom", "private": true}\n');
}, 900_000);
afterAll(() => registry?.stop(true));

async function run(argv: string[], cwd = prefix) {
  const p = Bun.spawn(argv, { cwd, env: npmEnv(), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

describe.skipIf(!Bun.which("npm") || !["linux-x64", "linux-arm64"].includes(HOST))("npm install @loom-os/loom", () => {
  test("installs the main package and only this platform's executable, each checked against its integrity", async () => {
    const r = await run(["npm", "install", `${MAIN_PACKAGE}@${RELEASE_VERSION}`]);
    expect({ code: r.code, err: r.err.split("\n").filter((l) => /ERR/.test(l)) }).toEqual({ code: 0, err: [] });
    expect(readdirSync(join(prefix, "node_modules/@loom-os")).sort()).toEqual(["loom", `loom-${HOST}`]);
    expect(existsSync(join(prefix, "node_modules/.bin/loom"))).toBe(true);
  }, 300_000);

  test("a tarball that does not match the integrity its registry published is refused (EINTEGRITY), nothing installed", async () => {
    const other = tempDir("npm-prefix-");
    writeFileSync(join(other, "package.json"), '{"name": "try-loom", "private": true}\n');
    lying.add(MAIN_PACKAGE);
    try {
      const r = await run(["npm", "install", `${MAIN_PACKAGE}@${RELEASE_VERSION}`], other);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain("EINTEGRITY");
      expect(existsSync(join(other, "node_modules/.bin/loom"))).toBe(false);
    } finally {
      lying.clear();
    }
  }, 300_000);

  test("npx loom --version and npx loom doctor run this platform's executable", async () => {
    const version = await run(["npx", "--no-install", "loom", "--version"]);
    expect({ code: version.code, out: version.out.trim() }).toEqual({ code: 0, out: `loom ${RELEASE_VERSION}` });
    const project = tempDir("npm-project-");
    writeFileSync(join(project, "loom.toml"), 'name = "p"\n[bridge]\nruntime = "embedded"\n');
    const doctor = await run([join(prefix, "node_modules/.bin/loom"), "doctor"], project);
    expect(doctor.out).toContain("runtime");
    expect([0, 1]).toContain(doctor.code); // 1 when something on this machine is missing (ports, python); it ran
  }, 60_000);

  test("the library imports under Bun and starts an embedded Bridge", async () => {
    const script = join(prefix, "use.ts");
    writeFileSync(
      script,
      `import { startEmbeddedBridge, LOOM_VERSION } from "${MAIN_PACKAGE}";\nconst b = await startEmbeddedBridge();\nconsole.log(LOOM_VERSION, b.address);\nb.stop();\nprocess.exit(0);\n`,
    );
    const r = await run([process.execPath, script]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${RELEASE_VERSION.replaceAll(".", "\\.")} 127\\.0\\.0\\.1:\\d+\\n$`));
  }, 60_000);
});
