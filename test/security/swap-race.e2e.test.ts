/**
 * The swap race of the security issue: a process exchanges a directory of the project with a link
 * to a directory outside (renameat2 RENAME_EXCHANGE, in a loop) while the fs tools read and write
 * through it. Bounded in count and time. What is opened decides: no read returns the outside file,
 * no write lands outside.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { DEBIAN_PYTHON } from "../../scripts/python-stubs";
import { fsTools, Workspace } from "../../src/bridge/tools/fs";
import { ToolFailure } from "../../src/bridge/tools/tool-registry";
import { tempDir } from "../helpers/tmp";

const SWAPPER = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
end = time.time() + float(sys.argv[3])
n = 0
while time.time() < end:
    libc.renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
    n += 1
print(n)
`;

describe.skipIf(process.platform !== "linux" || !existsSync(DEBIAN_PYTHON))("a directory swapped for a link while the tools use it", () => {
  test("no read returns the outside file, no write lands outside (2,000 of each, at most 10 s)", async () => {
    const outside = tempDir();
    writeFileSync(join(outside, "f.txt"), "OUTSIDE");
    const root = tempDir();
    mkdirSync(join(root, "d"));
    writeFileSync(join(root, "d/f.txt"), "inside");
    symlinkSync(outside, join(root, "l"));
    const tools = Object.fromEntries(fsTools(new Workspace(root, [], ["d"])).map((t) => [t.name, t]));
    const signal = new AbortController().signal;
    const swapper = Bun.spawn([DEBIAN_PYTHON, "-c", SWAPPER, join(root, "d"), join(root, "l"), "12"], { stdout: "pipe", stderr: "pipe" });
    try {
      const seen = { inside: 0, refused: 0, outside: 0, written: 0 };
      const deadline = Date.now() + 10_000;
      for (let i = 0; i < 2_000 && Date.now() < deadline; i++) {
        try {
          const r = (await tools["fs:read_file"]!.call({ path: "d/f.txt" }, signal)) as { content: string };
          if (r.content === "OUTSIDE") seen.outside++;
          else seen.inside++;
        } catch (e) {
          if (!(e instanceof ToolFailure)) throw e;
          seen.refused++;
        }
        try {
          await tools["fs:write_file"]!.call({ path: `d/w${i}.txt`, content: "x" }, signal);
          seen.written++;
        } catch (e) {
          if (!(e instanceof ToolFailure)) throw e;
        }
      }
      expect(seen.outside).toBe(0);
      expect(readdirSync(outside).filter((f) => f.startsWith("w"))).toEqual([]);
      expect(seen.refused).toBeGreaterThan(0); // the swapper did race the tools
      expect(seen.inside + seen.written).toBeGreaterThan(0);
    } finally {
      swapper.kill("SIGKILL");
      await swapper.exited;
    }
  });
});
