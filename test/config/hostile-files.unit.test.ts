/** loom.toml and .env that another user controls, or that are not text files at all: exit 2, never a hang. */
import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { loadProjectConfig } from "../../src/config/load";
import { LoomError } from "../../src/errors";
import { mkfifo } from "../helpers/fifo";
import { tempDir, writeTree } from "../helpers/tmp";

const root = process.getuid?.() === 0;
const NOBODY = 65534;

async function failure(dir: string): Promise<LoomError> {
  const error = await loadProjectConfig(dir, { env: {} }).then(
    () => undefined,
    (e) => e,
  );
  if (!(error instanceof LoomError)) throw new Error(`expected a LoomError, got ${error}`);
  expect(error.exitCode).toBe(2);
  return error;
}

describe("files another user can write are refused, naming the file, its owner or mode, and the fix", () => {
  test("a world-writable loom.toml", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": 'name = "x"\n' });
    chmodSync(join(dir, "loom.toml"), 0o666);
    const e = await failure(dir);
    expect(e.message).toBe(`refusing to use configuration file ${join(dir, "loom.toml")}: it is writable by everyone (mode 0666)`);
    expect(e.hint).toContain(`chmod go-w ${join(dir, "loom.toml")}`);
  });

  test("a group-writable .env whose group is not the owner's own", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": "", ".env": "A=1\n" });
    chmodSync(join(dir, ".env"), 0o660);
    if (root) chownSync(join(dir, ".env"), 0, NOBODY);
    const e = await failure(dir);
    expect(e.message).toMatch(/refusing to use \.env file .*\.env: it is writable by group \S+ \(mode 0660\)/);
  });

  test.skipIf(!root)("loom.toml owned by another user", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": 'name = "x"\n' });
    chownSync(join(dir, "loom.toml"), NOBODY, NOBODY);
    const e = await failure(dir);
    expect(e.message).toBe(`refusing to use configuration file ${join(dir, "loom.toml")}: it is owned by nobody, not by you`);
  });

  test.skipIf(!root)("the search upward stops at a directory another user owns", async () => {
    const top = writeTree(tempDir(), { "loom.toml": 'name = "planted"\n' });
    const theirs = join(top, "theirs");
    const mine = join(theirs, "mine");
    mkdirSync(mine, { recursive: true });
    chownSync(theirs, NOBODY, NOBODY);
    const { file, config } = await loadProjectConfig(mine, { env: {} });
    expect(file).toBeUndefined();
    expect(config.name).toBeUndefined();
  });

  test("a world-writable directory holding loom.toml", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": "" });
    chmodSync(dir, 0o777);
    const e = await failure(dir);
    expect(e.message).toContain(`refusing to use the directory of loom.toml ${dir}: it is writable by everyone (mode 0777)`);
  });

  test("a root-owned, sticky /tmp-like parent is fine", async () => {
    const dir = writeTree(tempDir(), { "p/loom.toml": 'name = "ok"\n' });
    chmodSync(dir, 0o1777);
    expect((await loadProjectConfig(join(dir, "p"), { env: {} })).config.name).toBe("ok");
  });
});

describe("not a text file: exit 2, no hang, no unbounded memory", () => {
  test("a FIFO", async () => {
    const dir = tempDir();
    mkfifo(join(dir, "loom.toml"));
    expect((await failure(dir)).message).toBe(`cannot read configuration file ${join(dir, "loom.toml")}: it is a named pipe (FIFO)`);
  });

  test("a device (through a symlink)", async () => {
    const dir = tempDir();
    symlinkSync("/dev/zero", join(dir, ".env"));
    writeFileSync(join(dir, "loom.toml"), "");
    expect((await failure(dir)).message).toContain("it is a device");
  });

  test("larger than 1 MB", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": `# ${"x".repeat(1024 * 1024)}\n` });
    expect((await failure(dir)).message).toMatch(/loom\.toml is 1\.0 MB; loom reads at most 1 MB/);
  });

  test("nested deeper than any configuration", async () => {
    for (const depth of [100, 200_000]) {
      const dir = writeTree(tempDir(), { "loom.toml": `a = ${"[".repeat(depth)}${"]".repeat(depth)}\n` });
      expect((await failure(dir)).message).toContain("values are nested more than 64 levels deep");
    }
  });

  test("invalid UTF-8 gives its line and column", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "loom.toml"), Buffer.concat([Buffer.from('name = "ok"\nx = "é'), Buffer.from([0xff]), Buffer.from('"\n')]));
    expect((await failure(dir)).message).toBe(`${join(dir, "loom.toml")}:2:7: configuration file is not valid UTF-8 (byte 0xff)`);
  });

  test("a project path with ? and # still gets its TOML error with line and column", async () => {
    const dir = writeTree(tempDir(), { "we?ird#dir/loom.toml": "a = 1\nb = [\n" });
    const e = await failure(join(dir, "we?ird#dir"));
    expect(e.message).toStartWith(`${join(dir, "we?ird#dir/loom.toml")}:2:6: TOML syntax error`);
  });

  test("a backslash is part of a POSIX file name", async () => {
    const dir = writeTree(tempDir(), { "a\\b/loom.toml": 'name = "slash"\n' });
    expect((await loadProjectConfig(join(dir, "a\\b"), { env: {} })).config.name).toBe("slash");
  });
});
