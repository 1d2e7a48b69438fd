/**
 * `loom run --watch`: an edited agent restarts and only it; an editor's atomic save (a temporary
 * file renamed over the original) is one change; a helper beside the agents restarts them; a
 * `watch` glob; a loom.toml edit that breaks the file is reported and stops nothing, and the fix
 * restarts only the agent whose settings changed.
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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
    // A restart --watch makes is no crash: RESTARTS stays 0 (as pm2 and process-compose count).
    await poll("idle restarted", async () => (await processes(root)).idle!.pid !== first.idle!.pid && (await processes(root)).idle!.state === "running");
    expect((await processes(root)).idle!.restarts).toBe(0);
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
    await poll("other restarted", async () => (await processes(root)).other!.pid !== first.other!.pid && (await processes(root)).other!.state === "running");
    const saved = await processes(root);

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
    expect(after.other!.pid).not.toBe(saved.other!.pid);
    expect(after.idle!.pid).toBe(saved.idle!.pid); // its settings did not change
    expect(Object.values(after).every((p) => p.restarts === 0)).toBe(true);
    expect(after.core!.pid).toBe(first.core!.pid); // nor did the runtime's environment
    // Changes loom itself makes (.loom/logs) never trigger anything.
    expect(run.all.match(/changed; restarting/g)?.length).toBe(3);

    run.signal("SIGINT");
    expect(await run.exited).toBe(130);
    expect(await leftIn(root)).toEqual([]);
  });

  test("an agent file that appears starts and one that goes away stops, the others untouched; a typo in loom.toml is named on reload", async () => {
    const root = makeProject(["idle.py"], 'runtime = "embedded"\n');
    const run = new LoomProcess(["run", "--watch", ...FREE], root);
    try {
      await run.waitFor("watching the project's files");
      await poll("idle running", async () => (await processes(root)).idle?.state === "running");
      const first = await processes(root);
      copyFileSync(join(AGENTS_DIR, "idle.py"), join(root, "agents", "critic.py"));
      await run.waitFor(/agents\/critic\.py reloaded: critic: started \(pid \d+\)/);
      await poll("critic running", async () => (await processes(root)).critic?.state === "running");
      expect((await processes(root)).idle!.pid).toBe(first.idle!.pid);
      rmSync(join(root, "agents", "critic.py"));
      await run.waitFor(/critic: stopped.*no longer in loom\.toml or agents\//);
      expect((await processes(root)).idle!.pid).toBe(first.idle!.pid);
      appendFileSync(join(root, "loom.toml"), "[dashboard]\nprot = 1\n");
      await run.waitFor(/loom\.toml reloaded; nothing that runs changed/);
      await run.waitFor(/unknown key `dashboard\.prot`: did you mean `port`\?/);
    } finally {
      run.signal("SIGINT");
      await run.exited;
    }
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
      return p.idle!.pid !== first.idle!.pid && p.other!.pid !== first.other!.pid && p.idle!.state === "running" && p.other!.state === "running";
    });
    const second = await processes(root);
    writeFileSync(join(root, ".env"), "NEW_SETTING=1\n");
    await poll("every process restarted for the new environment", async () => {
      const p = await processes(root);
      return ["core", "idle", "other"].every((name) => p[name]!.pid !== second[name]!.pid && p[name]!.state === "running");
    });
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain(".env reloaded");
    expect(first.core!.pid).not.toBe((await processes(root)).core!.pid);
    expect((await loom(["down"], root)).code).toBe(0);
  });
});
