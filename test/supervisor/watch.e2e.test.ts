/**
 * `loom run --watch`: an edited agent restarts and only it; an editor's atomic save (a temporary
 * file renamed over the original) is one change; a helper beside the agents restarts them; a
 * `watch` glob; a loom.toml edit that breaks the file is reported and stops nothing, and the fix
 * restarts only the agent whose settings changed.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { AGENTS_DIR, LoomProcess, leftIn, loom, makeProject, poll } from "../helpers/runtime";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

type Proc = { name: string; pid?: number; restarts: number; state: string };
async function processes(root: string): Promise<Record<string, Proc>> {
  const s = JSON.parse((await loom(["status", "--json"], root)).out) as { processes: Proc[] };
  return Object.fromEntries(s.processes.map((p) => [p.name, p]));
}

describe("loom run --watch", () => {
  test("an edit restarts that agent only; an atomic save is one change; loom.toml broken is reported, fixed is applied", async () => {
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n[agents.other]\nenv = { COLOUR = "red" }\n[agents.prompted]\nwatch = ["prompts/*.txt"]\n', {
      "prompts/system.txt": "be brief",
    });
    copyFileSync(join(AGENTS_DIR, "idle.py"), join(root, "agents", "other.py"));
    copyFileSync(join(AGENTS_DIR, "idle.py"), join(root, "agents", "prompted.py"));
    const run = new LoomProcess(["run", "--watch", ...FREE], root);
    await run.waitFor("watching the project's files");
    await poll("three agents running", async () => Object.values(await processes(root)).filter((p) => p.state === "running").length === 4);
    const first = await processes(root);

    appendFileSync(join(root, "agents/idle.py"), "# edited\n");
    await run.waitFor("agents/idle.py changed; restarting idle");
    await poll("idle restarted", async () => (await processes(root)).idle!.restarts === 1 && (await processes(root)).idle!.state === "running");
    let now = await processes(root);
    expect(now.idle!.pid).not.toBe(first.idle!.pid);
    expect(now.other!.pid).toBe(first.other!.pid);
    expect(now.prompted!.pid).toBe(first.prompted!.pid);
    expect(now.core!.pid).toBe(first.core!.pid);

    // As vim or an IDE saves: a temporary file written, then renamed over the agent.
    writeFileSync(join(root, "agents/.other.py.swp"), "swap");
    writeFileSync(join(root, "agents/other.py.tmp"), `${readFileSync(join(root, "agents/other.py"), "utf8")}# saved\n`);
    renameSync(join(root, "agents/other.py.tmp"), join(root, "agents/other.py"));
    await run.waitFor("agents/other.py changed; restarting other");
    await poll("other restarted", async () => (await processes(root)).other!.restarts === 1 && (await processes(root)).other!.state === "running");

    writeFileSync(join(root, "prompts/system.txt"), "be very brief");
    await run.waitFor("prompts/system.txt changed; restarting prompted");

    const toml = readFileSync(join(root, "loom.toml"), "utf8");
    writeFileSync(join(root, "loom.toml"), `${toml}broken = [\n`);
    await run.waitFor(/loom\.toml changed but cannot be used, so nothing was restarted: .*loom\.toml:\d+:\d+/);
    now = await processes(root);
    expect(Object.values(now).every((p) => p.state === "running")).toBe(true);
    writeFileSync(join(root, "loom.toml"), toml.replace('COLOUR = "red"', 'COLOUR = "blue"'));
    await run.waitFor(/loom\.toml reloaded: other: restarted \(pid \d+\)/);
    const after = await processes(root);
    expect(after.other!.restarts).toBe(2);
    expect(after.idle!.restarts).toBe(1); // its settings did not change
    expect(after.core!.pid).toBe(first.core!.pid); // nor did the runtime's environment
    // Changes loom itself makes (.loom/logs) never trigger anything.
    expect(run.all.match(/changed; restarting/g)?.length).toBe(3);

    run.signal("SIGINT");
    expect(await run.exited).toBe(130);
    expect(await leftIn(root)).toEqual([]);
  });

  test("detached: a helper module beside the agents restarts them; .env changes reload", async () => {
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n', { "agents/helpers.py": "X = 1\n" });
    copyFileSync(join(AGENTS_DIR, "idle.py"), join(root, "agents", "other.py"));
    // helpers.py is an agent file too (agents/*.py); one that is not: a module in a package.
    writeFileSync(join(root, "agents/_shared.py"), "Y = 1\n");
    expect((await loom(["run", "--detach", "--watch", ...FREE], root)).code).toBe(0);
    const first = await processes(root);
    appendFileSync(join(root, "agents/_shared.py"), "Y = 2\n");
    await poll("idle and other restarted", async () => {
      const p = await processes(root);
      return p.idle!.restarts === 1 && p.other!.restarts === 1 && p.idle!.state === "running" && p.other!.state === "running";
    });
    expect((await processes(root)).helpers!.restarts).toBe(1);
    writeFileSync(join(root, ".env"), "NEW_SETTING=1\n");
    await poll("every agent restarted for the new environment", async () => Object.values(await processes(root)).every((p) => p.name === "core" || p.restarts === 2));
    expect((await processes(root)).core!.restarts).toBe(1); // the runtime's environment changed too
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain(".env reloaded");
    expect(first.core!.pid).not.toBe((await processes(root)).core!.pid);
    expect((await loom(["down"], root)).code).toBe(0);
  });
});
