/**
 * One process at a time, through the supervisor's control socket (.loom/control.sock), against
 * running projects (detached and foreground): restart, stop (which survives the restart policy),
 * start (a stopped agent, a new agent file), the runtime restarted under running agents, two
 * clients at once, a stale socket left by a killed supervisor, a socket path planted by someone.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, lstatSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { AGENTS_DIR, LoomProcess, leftIn, loom, makeProject, poll } from "../helpers/runtime";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

async function status(root: string): Promise<{ running: boolean; processes: { name: string; state: string; pid?: number; restarts: number; health?: string }[] }> {
  return JSON.parse((await loom(["status", "--json"], root)).out);
}

const pidOf = async (root: string, name: string) => (await status(root)).processes.find((p) => p.name === name)?.pid;

describe("restart, stop and start one process", () => {
  test("detached: restart one agent while the other keeps its pid; stop holds against the restart policy; start brings it back; a new file joins", async () => {
    // `always`: any exit of "keeper" is restarted, unless it was stopped on purpose.
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n[agents.keeper]\nrestart = "always"\n');
    copyFileSync(join(AGENTS_DIR, "idle.py"), join(root, "agents", "other.py"));
    copyFileSync(join(AGENTS_DIR, "idle.py"), join(root, "agents", "keeper.py"));
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    expect(lstatSync(join(root, ".loom/control.sock")).mode & 0o777).toBe(0o600);
    const idle = (await pidOf(root, "idle"))!;
    const other = (await pidOf(root, "other"))!;

    const restarted = await loom(["restart", "idle"], root);
    expect(restarted.code).toBe(0);
    expect(restarted.out).toMatch(/^idle: restarted \(pid \d+\)$/m);
    const s = await status(root);
    expect(s.processes.find((p) => p.name === "idle")).toMatchObject({ state: "running", restarts: 1 });
    expect(await pidOf(root, "idle")).not.toBe(idle);
    expect(await pidOf(root, "other")).toBe(other); // untouched

    const stopped = await loom(["stop", "keeper"], root);
    expect(stopped.code).toBe(0);
    expect(stopped.out).toMatch(/^keeper: stopped$/m);
    await Bun.sleep(1_000); // the policy would have restarted it after 0 ms, then 100 ms
    expect((await status(root)).processes.find((p) => p.name === "keeper")).toMatchObject({ state: "stopped", restarts: 0 });

    expect((await loom(["stop", "other"], root)).out).toMatch(/^other: stopped$/m);
    expect(await pidOf(root, "other")).toBeUndefined();
    expect(process.kill.bind(process, other, 0)).toThrow(); // its process is gone
    const started = await loom(["start", "other"], root);
    expect(started.out).toMatch(/^other: started \(pid \d+\)$/m);
    expect((await loom(["start", "other"], root)).out).toMatch(/^other: already running/m);

    writeFileSync(join(root, "late.py"), readFileSync(join(AGENTS_DIR, "idle.py"), "utf8"));
    const added = await loom(["start", "late.py"], root);
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/^late: started \(pid \d+\)$/m);
    await poll("the new agent's output", () => readFileSync(join(root, ".loom/logs/late.log"), "utf8").includes("idle.py up as late"));

    const unknown = await loom(["restart", "nope"], root);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("no process named nope (there is core, idle, keeper, other, late)");
    expect((await loom(["stop", "core"], root)).err).toContain("`loom restart --runtime` restarts it");

    expect((await loom(["down"], root)).code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
    const gone = await loom(["restart"], root);
    expect(gone.code).toBe(3);
    expect(gone.err).toContain("loom is not running");
  });

  test("foreground: restart --runtime restarts the Bridge, ready again, while the agents keep their pids; two clients at once", async () => {
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n');
    copyFileSync(join(AGENTS_DIR, "idle.py"), join(root, "agents", "other.py"));
    const run = new LoomProcess(["run", ...FREE], root);
    await run.waitFor("runtime ready");
    await poll("both agents running", async () => (await status(root)).processes.every((p) => p.state === "running"));
    const before = await status(root);
    const runtime = await loom(["restart", "--runtime"], root);
    expect(runtime.code).toBe(0);
    expect(runtime.out).toMatch(/^core: restarted \(pid \d+\)$/m);
    const after = await status(root);
    expect(after.processes.find((p) => p.name === "core")).toMatchObject({ state: "running", health: "ok", restarts: 1 });
    expect(after.processes.find((p) => p.name === "core")!.pid).not.toBe(before.processes.find((p) => p.name === "core")!.pid);
    for (const name of ["idle", "other"]) expect(after.processes.find((p) => p.name === name)!.pid).toBe(before.processes.find((p) => p.name === name)!.pid);
    expect((await loom(["ping", "-c", "1"], root)).code).toBe(0);

    // Two clients restart the same agent at once: both answered, one process, never two.
    const [a, b] = await Promise.all([loom(["restart", "idle"], root), loom(["restart", "idle"], root)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const final = await status(root);
    expect(final.processes.find((p) => p.name === "idle")).toMatchObject({ state: "running", restarts: 2 });
    expect(run.all).toMatch(/idle\s+\| idle\.py up as idle/);
    run.signal("SIGINT");
    expect(await run.exited).toBe(130);
    expect(await leftIn(root)).toEqual([]);
  });

  test("a stale socket after a SIGKILLed supervisor is 'not running'; the next start replaces it; a planted path is refused", async () => {
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n');
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const supervisor = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8")).supervisor.pid;
    process.kill(supervisor, "SIGKILL");
    await poll("the supervisor gone", () => {
      try {
        process.kill(supervisor, 0);
        return false;
      } catch {
        return true;
      }
    });
    const stale = await loom(["restart", "idle"], root);
    expect(stale.code).toBe(3);
    expect(stale.err).toContain("its control socket is stale");
    expect((await loom(["down"], root)).code).toBe(0); // stops what the dead supervisor left
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    expect((await loom(["restart", "idle"], root)).code).toBe(0); // a new socket, listened on
    expect((await loom(["down"], root)).code).toBe(0);

    writeFileSync(join(root, ".loom/control.sock"), "not a socket");
    const up = await loom(["run", "--detach", ...FREE], root);
    expect(up.code).toBe(0);
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain("no control channel: refusing to replace");
    const refused = await loom(["restart", "idle"], root);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("control.sock: it is not a socket");
    expect(readFileSync(join(root, ".loom/control.sock"), "utf8")).toBe("not a socket"); // never removed
    expect((await loom(["down"], root)).code).toBe(0);
  });
});
