/**
 * The log relay (src/logs/relay.ts): children's output reaches their log files whole, stamped and
 * in order, the same as through Bun's streams; a quiet child never holds the others back; a
 * grandchild that keeps a pipe open does not keep the files open.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "pathe";
import { type ChildOutput, childOutput } from "../../src/logs/child-output";
import { LogRelay } from "../../src/logs/relay";
import { spawnChild } from "../../src/proc/child";
import { poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

afterAll(() => LogRelay.stop());

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

/** Runs `script` with its output given to `output`; resolves once the child exited and its output is written. */
async function run(script: string, output: ChildOutput): Promise<void> {
  const proc = Bun.spawn(["sh", "-c", script], { stdout: output.stdio[0], stderr: output.stdio[1], stdin: "ignore" });
  output.started(proc);
  await proc.exited;
  await output.drained();
  await output.finish("ended");
}

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").slice(0, -1);
}

describe("the log relay", () => {
  test("20 MB of lines arrive whole, each stamped and in order, as through Bun's streams; stderr's tail is kept", async () => {
    const dir = tempDir();
    // Lines of every length up to 300 bytes, numbered, so reads split them anywhere.
    const script = `awk 'BEGIN { for (i = 0; i < 100000; i++) { s = sprintf("%d ", i); while (length(s) < i % 300) s = s "x"; print s } }'; echo oops >&2`;
    const base = (name: string) => ({ name, base: join(dir, name), marker: "start", tailBytes: 64, maxBytes: 1e9 });
    await run(script, childOutput(base("relayed")));
    const streamed = childOutput(base("streamed"), null);
    await run(script, streamed);
    const relayed = lines(join(dir, "relayed.log"));
    expect(relayed.length).toBe(100_002); // the start marker, the lines, the end marker
    for (const line of relayed) expect(line).toMatch(STAMP);
    const body = relayed.slice(1, -1).map((l) => l.slice(25));
    expect(body.map((line) => Number(line.split(" ")[0]))).toEqual(body.map((_, i) => i));
    expect(body).toEqual(
      lines(join(dir, "streamed.log"))
        .slice(1, -1)
        .map((l) => l.slice(25)),
    );
    const err = lines(join(dir, "relayed.err")).map((l) => l.slice(25));
    expect(err[0]).toMatch(/^--- loom \S+ start ---$/);
    expect(err.slice(1)).toEqual(["oops"]);
    expect(streamed.stderrTail()).toBe("oops\n");
  }, 60_000);

  test("a grandchild holding the pipes does not hold the files: the end is written, its later output dropped", async () => {
    const dir = tempDir();
    const output = childOutput({ name: "g", base: join(dir, "g"), marker: "start", tailBytes: 64 });
    const proc = Bun.spawn(["sh", "-c", `(sleep 0.3; echo late; echo late >&2; touch ${dir}/done) & echo early; echo bad >&2`], {
      stdout: output.stdio[0],
      stderr: output.stdio[1],
      stdin: "ignore",
    });
    output.started(proc);
    await proc.exited;
    await output.finish("ended"); // with the grandchild still holding the pipes
    await poll("the grandchild's end", () => existsSync(join(dir, "done")));
    const log = lines(join(dir, "g.log")).map((l) => l.slice(25));
    expect(log.length).toBe(3);
    expect(log[1]).toBe("early");
    expect(log[2]).toMatch(/^--- loom \S+ ended ---$/);
    expect(readFileSync(join(dir, "g.err"), "utf8")).not.toContain("late");
    expect(output.stderrTail()).toBe("bad\n");
  }, 30_000);

  test("output written just before the end is in the file, even when the relay is told of the pipe and its end at once", async () => {
    const dir = tempDir();
    for (let round = 0; round < 5; round++) {
      const output = childOutput({ name: `q${round}`, base: join(dir, `q${round}`), marker: "start", tailBytes: 64 });
      const proc = Bun.spawn(["sh", "-c", "echo said; echo oops >&2"], { stdout: output.stdio[0], stderr: output.stdio[1], stdin: "ignore" });
      await proc.exited; // all written and gone before the relay hears of it
      output.started(proc);
      await output.finish("ended"); // without waiting for the pipes' end
      expect(lines(join(dir, `q${round}.log`)).map((l) => l.slice(25))[1]).toBe("said");
      expect(output.stderrTail()).toBe("oops\n");
    }
  });

  test("a console that cannot keep up gets lines skipped and counted, never a queue: the log file gets every line", async () => {
    const dir = tempDir();
    let shown = 0;
    let skipped = 0;
    const slowConsole = (_: string, __: string, chunk: Uint8Array, skippedLines = 0) => {
      skipped += skippedLines;
      for (const byte of chunk) if (byte === 10) shown++;
      Bun.sleepSync(20); // a terminal this slow (the point of the test, not a wait)
    };
    const output = childOutput({ name: "f", base: join(dir, "f"), marker: "start", tailBytes: 0, maxBytes: 1e9, sink: slowConsole });
    const proc = Bun.spawn(["sh", "-c", "yes 0123456789012345678901234567890123456789 | head -n 1000000"], { stdout: output.stdio[0], stderr: output.stdio[1], stdin: "ignore" });
    output.started(proc);
    await proc.exited;
    await output.drained();
    await output.finish("ended");
    expect(lines(join(dir, "f.log")).length).toBe(1_000_002);
    expect(skipped).toBeGreaterThan(0);
    expect(shown + skipped).toBeLessThanOrEqual(1_000_000);
    expect(shown).toBeLessThan(1_000_000);
  }, 60_000);

  test("a program that cannot be started: exit 127, why in its .err, no descriptor left open", async () => {
    const dir = tempDir();
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    const child = spawnChild({ name: "ghost", kind: "agent", argv: [join(dir, "no-such-program")], cwd: dir, env: {}, restart: "never" }, { logsDir: dir });
    expect(await child.exited).toMatchObject({ code: 127 });
    expect(readFileSync(join(dir, "ghost.err"), "utf8")).toContain("cannot start");
    expect(child.stderrTail()).toContain("cannot start");
    expect(open()).toBe(before);
  });

  test("30 quiet children do not hold back a talking one", async () => {
    const dir = tempDir();
    const quiet: ReturnType<typeof Bun.spawn>[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const output = childOutput({ name: `q${i}`, base: join(dir, `q${i}`), marker: "start", tailBytes: 0 });
        const proc = Bun.spawn(["sleep", "30"], { stdout: output.stdio[0], stderr: output.stdio[1], stdin: "ignore" });
        output.started(proc);
        quiet.push(proc);
      }
      const talker = childOutput({ name: "t", base: join(dir, "t"), marker: "start", tailBytes: 0 });
      const proc = Bun.spawn(["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; done; exec sleep 30"], { stdout: talker.stdio[0], stderr: talker.stdio[1], stdin: "ignore" });
      talker.started(proc);
      quiet.push(proc);
      await poll("the talker's five lines", () => existsSync(join(dir, "t.log")) && lines(join(dir, "t.log")).length === 6);
    } finally {
      for (const p of quiet) p.kill("SIGKILL");
    }
  }, 30_000);
});
