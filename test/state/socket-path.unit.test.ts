/**
 * Where a long-path project's sockets go: another user who creates `$TMPDIR/loom-<uid>` first does
 * not make the project fail, nor get its sockets; the home directory's place is taken instead.
 */
import { describe, expect, test } from "bun:test";
import { chownSync, lstatSync, mkdirSync } from "node:fs";
import { join } from "pathe";
import { socketPath } from "../../src/files/socket-path";
import { tempDir } from "../helpers/tmp";

const longRoot = `/${"p".repeat(120)}`;

describe("the fallback socket directory", () => {
  test("a TMPDIR of its own: $TMPDIR/loom-<uid>, made 0700", () => {
    const tmp = tempDir();
    const path = socketPath(longRoot, ".loom", "control.sock", { create: true, env: { TMPDIR: tmp, HOME: tempDir() } });
    expect(path).toStartWith(join(tmp, `loom-${process.getuid?.()}`));
    expect(lstatSync(join(tmp, `loom-${process.getuid?.()}`)).mode & 0o777).toBe(0o700);
  });

  test.skipIf(process.getuid?.() !== 0)("squatted by another user: passed over for the home directory's, which nobody else can write", () => {
    const tmp = tempDir();
    const home = tempDir();
    const squat = join(tmp, `loom-${process.getuid?.()}`);
    mkdirSync(squat, { mode: 0o777 });
    chownSync(squat, 65534, 65534);
    const path = socketPath(longRoot, ".loom", "control.sock", { create: true, env: { TMPDIR: tmp, HOME: home } });
    expect(path).toStartWith(join(home, ".loom-sockets"));
    // Both ends compute the same place.
    expect(socketPath(longRoot, ".loom", "control.sock", { env: { TMPDIR: tmp, HOME: home } })).toBe(path!);
  });
});
