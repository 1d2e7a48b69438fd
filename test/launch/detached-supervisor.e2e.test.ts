/**
 * The background supervisor supervises the plan its parent prepared (launch/detached-supervisor.ts)
 * and refuses one it cannot trust to read as its parent meant: made by another loom version (the
 * executable replaced during a start), or missing. It says so on its report descriptor, with the
 * documented exit code, and starts nothing.
 */
import { expect, test } from "bun:test";
import { cleanEnv, ensureBuilt } from "../helpers/loom";
import { tempDir } from "../helpers/tmp";

async function supervise(stdin: string): Promise<{ code: number; report: string; err: string }> {
  const cwd = tempDir("loom-supervise-");
  const proc = Bun.spawn([ensureBuilt(), "__supervise"], { cwd, env: cleanEnv(), stdio: ["pipe", "pipe", "pipe", "ignore", "pipe"] });
  proc.stdin.write(stdin);
  await proc.stdin.end();
  const [report, err, code] = await Promise.all([new Response(Bun.file(proc.stdio[4] as number).stream()).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, report, err };
}

test("a plan from another loom version is refused: exit 4, the reason on the report, nothing started", async () => {
  const got = await supervise(JSON.stringify({ version: "0.0.1-other", prepared: {}, watch: false }));
  expect(got.code).toBe(4);
  const failed = JSON.parse(got.report).failed;
  expect(failed.code).toBe("PROCESS");
  expect(failed.message).toContain("its plan was made by loom 0.0.1-other");
  expect(failed.hint).toContain("the loom executable was replaced during the start");
});

test("no plan at all is loom's own bug, said as one (exit 1)", async () => {
  const got = await supervise("");
  expect(got.code).toBe(1);
  expect(JSON.parse(got.report).failed.message).toContain("started without its plan");
});
