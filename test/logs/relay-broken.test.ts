/**
 * A log relay whose thread fails (a bug) stops nothing else: every output it held is reported as
 * failing, every wait for it ends, and children started afterwards are read on the supervisor's
 * own thread.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeSync } from "node:fs";
import { join } from "pathe";
import { childOutput } from "../../src/logs/child-output";
import { LogRelay } from "../../src/logs/relay";
import { poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

afterAll(() => LogRelay.stop());

test("a relay thread that dies: errors said, waits ended, the pipe closed, the next child read without it", async () => {
  const dir = tempDir();
  const errors: string[] = [];
  const relay = LogRelay.get()!;
  const output = childOutput({ name: "a", base: join(dir, "a"), marker: "start", tailBytes: 64, onWriteError: (e) => errors.push(String(e)) });
  const proc = Bun.spawn(["sh", "-c", "echo before; read line; echo after"], { stdout: output.stdio[0], stderr: output.stdio[1], stdin: "pipe" });
  output.started(proc);
  try {
    await poll("the first line", () => existsSync(join(dir, "a.log")) && readFileSync(join(dir, "a.log"), "utf8").includes("before"));
    // What no caller of the relay can send: a command that is not JSON makes its thread throw.
    writeSync(Reflect.get(relay, "commands") as number, "not json\n");
    await poll("the relay's failure said", () => errors.some((e) => e.includes("the log relay stopped")));
    await output.drained(); // resolves: nobody waits for a dead relay
    await output.finish("ended"); // and so does the end, with nothing sent to it
    proc.stdin.write("go\n");
    proc.stdin.end();
    expect(await proc.exited).not.toBe(0); // its next write found the pipe closed, as a crash the supervisor restarts
  } finally {
    proc.kill("SIGKILL"); // a failed step above must not leave it waiting on its stdin
  }
  const next = childOutput({ name: "b", base: join(dir, "b"), marker: "start", tailBytes: 64 });
  expect(next.stdio).toEqual(["pipe", "pipe"]); // Bun's streams, read here
  const again = Bun.spawn(["echo", "still logged"], { stdout: next.stdio[0], stderr: next.stdio[1], stdin: "ignore" });
  next.started(again);
  await again.exited;
  await next.drained();
  await next.finish("ended");
  expect(readFileSync(join(dir, "b.log"), "utf8")).toContain("still logged");
}, 30_000);
