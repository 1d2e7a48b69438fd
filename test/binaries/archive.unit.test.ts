/** Hostile archives: nothing outside the target, no links, exactly one expected executable. */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, mkdirSync } from "node:fs";
import { join } from "pathe";
import { extractTarGzEntry } from "../../src/binaries/archive/tar";
import { extractZipEntry } from "../../src/binaries/archive/zip";
import { LoomError } from "../../src/errors";
import { makeArchive } from "../fixtures/make-archive";
import { tempDir } from "../helpers/tmp";

const NAME = "loom-core";

function make(kind: string): string {
  const out = join(tempDir(), kind.startsWith("zip-") ? "a.zip" : "a.tar.gz");
  makeArchive(out, kind, NAME);
  return out;
}

async function extract(kind: string) {
  const archive = make(kind);
  const outer = tempDir();
  const dest = join(outer, "x");
  mkdirSync(dest);
  const file = join(dest, NAME);
  const run = kind.startsWith("zip-") ? extractZipEntry(archive, NAME, file) : extractTarGzEntry(archive, NAME, file);
  const error = await run.then(
    () => undefined,
    (e) => e as LoomError,
  );
  return { error, outer, dest, file };
}

describe("safe archives", () => {
  test("'./' root entry, './loom-core' and an extra README: only the executable is written, mode 0755", async () => {
    const { error, dest, file } = await extract("ok-dot");
    expect(error).toBeUndefined();
    expect(readdirSync(dest)).toEqual([NAME]);
    expect(statSync(file).mode & 0o777).toBe(0o755);
    expect(readFileSync(file, "utf8")).toContain("echo evil");
  });

  test("zip with the executable at its root", async () => {
    const { error, dest } = await extract("zip-ok");
    expect(error).toBeUndefined();
    expect(readdirSync(dest)).toEqual([NAME]);
  });
});

describe("refused archives write nothing", () => {
  const cases: [string, RegExp][] = [
    ["dotdot", /points outside the archive/],
    ["dotdot-other", /points outside the archive/],
    ["absolute", /absolute or Windows path/],
    ["symlink", /contains a link/],
    ["symlink-dir", /contains a link/],
    ["hardlink", /contains a link/],
    ["two", /contains loom-core twice/],
    ["none", /has no executable named loom-core at its root/],
    ["nested", /has no executable named loom-core at its root/],
    ["fifo", /device, fifo or unknown entry/],
    ["pax-long", /points outside the archive/],
    ["zip-dotdot", /points outside the archive/],
    ["zip-symlink", /contains a link/],
    ["big-declared", /loom-core says it is 3221225472 bytes, more than loom accepts/],
    ["zip-big-declared", /loom-core says it is 3221225472 bytes, more than loom accepts/],
    ["zip-lying", /loom-core inflates to more than|is 4096 bytes, not the 16/],
  ];
  for (const [kind, message] of cases)
    test(kind, async () => {
      const { error, outer } = await extract(kind);
      expect(error).toBeInstanceOf(LoomError);
      expect(error!.exitCode).toBe(3);
      expect(error!.message).toMatch(message);
      expect(existsSync(join(outer, "evil.sh"))).toBe(false);
      expect(existsSync(join(outer, NAME))).toBe(false);
      // A refused entry that came before the expected one may exist only as the expected file itself.
      expect(readdirSync(join(outer, "x")).filter((f) => f !== NAME)).toEqual([]);
    });

  test("a file that is not an archive", async () => {
    const path = join(tempDir(), "junk.tar.gz");
    await Bun.write(path, "this is not gzip");
    const error = await extractTarGzEntry(path, NAME, join(tempDir(), NAME)).then(
      () => undefined,
      (e) => e as LoomError,
    );
    expect(error).toBeInstanceOf(LoomError);
    expect(error!.message).toContain("is not a valid .tar.gz");
    expect(error!.exitCode).toBe(3);
  });
});
