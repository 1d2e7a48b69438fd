/** The supervisor's state machine with fake processes and probes: no process is started here. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkConfig } from "../../src/config/schema";
import type { ProjectConfig } from "../../src/config/types";
import type { Child } from "../../src/proc/child";
import type { ProcessSpec } from "../../src/proc/spec";
import type { ExitInfo } from "../../src/supervisor/restart-policy";
import { readLedger } from "../../src/state/ledger";
import { Supervisor, type SupervisorDeps } from "../../src/supervisor/supervisor";
import { tempDir } from "../helpers/tmp";

let savedState: string | undefined;
beforeAll(() => {
  savedState = process.env.XDG_STATE_HOME;
  process.env.XDG_STATE_HOME = tempDir(); // the registry of running projects
});
afterAll(() => {
  if (savedState === undefined) delete process.env.XDG_STATE_HOME;
  else process.env.XDG_STATE_HOME = savedState;
});

/** Each spawn of `name` exits as `script[run]` says (undefined: runs until the test ends). */
function world(scripts: Record<string, (ExitInfo | undefined)[]>) {
  const spawns: Record<string, number> = {};
  const spawn: SupervisorDeps["spawn"] = (spec) => {
    const run = spawns[spec.name] ?? 0;
    spawns[spec.name] = run + 1;
    const exit = scripts[spec.name]?.[run] ?? scripts[spec.name]?.at(-1);
    const child: Child = {
      spec,
      pid: 0, // pid 0, pgid 0: nothing to signal, so stopping a fake is immediate
      pgid: 0,
      startedAt: Date.now(),
      exited: exit ? Bun.sleep(1).then(() => exit) : new Promise(() => {}),
      stderrTail: () => (exit ? `${spec.name} failed\n` : ""),
    };
    return child;
  };
  return { spawns, spawn };
}

function supervisor(deps: Partial<SupervisorDeps>, agents: string[], timeoutSec = 5) {
  const root = tempDir();
  const { config } = checkConfig({ bridge: { address: "127.0.0.1:1" }, dashboard: { enabled: false } });
  // Under loom.toml's minimum of 1 s, so the readiness tests take milliseconds.
  const project: ProjectConfig = { config: { ...config, bridge: { ...config.bridge, timeout_sec: timeoutSec } }, root, env: {}, warnings: [] };
  const spec = (name: string, kind: ProcessSpec["kind"]): ProcessSpec => ({ name, kind, argv: [name], cwd: root, env: {}, restart: kind === "runtime" ? "always" : "on-failure" });
  const events: string[] = [];
  const stopped: number[] = [];
  const sup = new Supervisor({
    project,
    runtime: spec("core", "runtime"),
    agents: agents.map((a) => spec(a, "agent")),
    logsDir: tempDir(),
    graceMs: 100,
    detached: false,
    restart: { baseMs: 0, maxMs: 0, healthyMs: 10_000, crashLoopLimit: 3 },
    livenessMs: 60_000,
    onEvent: (_, m) => events.push(m),
    // The test runner must not become a subreaper nor page itself out (the supervisor's own effects).
    // Nor may it signal anything: a fake child's group is stopped by the fake, which records it.
    deps: {
      heartbeat: async () => ({ ok: true }),
      dashboard: async () => ({ ok: true }),
      becomeSubreaper: () => false,
      releasePages: () => {},
      stopGroup: async (pgid) => {
        stopped.push(pgid);
        return { forced: false };
      },
      signalGroup: (pgid) => {
        stopped.push(pgid);
        return false;
      },
      ...deps,
    },
  });
  return { sup, root, events, stopped };
}

const crash = (code = 1): ExitInfo => ({ code, signal: null, livedMs: 5 });

describe("supervisor", () => {
  test("an agent that crashes once is restarted, and its restart is counted", async () => {
    const w = world({ agent: [crash(3), undefined] });
    const { sup, root } = supervisor({ spawn: w.spawn }, ["agent"]);
    await sup.start();
    const deadline = Date.now() + 2_000;
    while ((w.spawns.agent ?? 0) < 2 && Date.now() < deadline) await Bun.sleep(5);
    expect(w.spawns.agent).toBe(2);
    expect(readLedger(root)!.children.agent).toMatchObject({ state: "running", restarts: 1, lastExit: { code: 3 } });
    await sup.stop();
    expect(await sup.done).toBe(0);
  });

  test("a crash-looping agent is given up on, with the reason; the rest keeps running", async () => {
    const w = world({ bad: [crash()], good: [undefined] });
    const { sup, root, events } = supervisor({ spawn: w.spawn }, ["bad", "good"]);
    await sup.start();
    const deadline = Date.now() + 2_000;
    while (readLedger(root)?.children.bad?.state !== "crash-loop" && Date.now() < deadline) await Bun.sleep(5);
    expect(readLedger(root)!.children.bad!.reason).toContain("crash loop: failed 3 times in a row");
    expect(readLedger(root)!.children.good!.state).toBe("running");
    expect(events.join("\n")).toContain("bad failed");
    await sup.stop();
    expect(await sup.done).toBe(0);
  });

  test("a runtime that crash-loops after it was ready stops everything with exit 4", async () => {
    const w = world({ core: [crash(2)], agent: [undefined] });
    const { sup, root, events } = supervisor({ spawn: w.spawn }, ["agent"]);
    await sup.start(); // ready: the first Heartbeat answers before the first crash
    expect(await sup.done).toBe(4);
    expect(w.spawns.core).toBe(3);
    expect(readLedger(root)).toMatchObject({ phase: "failed", error: expect.stringContaining("the runtime is in a crash loop") });
    expect(events.join("\n")).toContain("core: crash loop: failed 3 times in a row");
  });

  test("a runtime that never answers its Heartbeat is not ready: start fails with exit 4", async () => {
    const w = world({});
    const { sup } = supervisor({ spawn: w.spawn, heartbeat: async () => ({ ok: false, detail: "connection refused" }) }, ["agent"], 0.05);
    const error = await sup.start().then(
      () => undefined,
      (e) => e,
    );
    expect(String(error?.message)).toContain("the runtime was not ready after 0.05s (last check: bridge 127.0.0.1:1: connection refused)");
    expect(await sup.done).toBe(4);
    expect(w.spawns.agent).toBeUndefined(); // no agent starts before the runtime is ready
  });
});

describe("readiness proves it reached our runtime", () => {
  test("a Heartbeat answered by another process on the address is not ready", async () => {
    const w = world({});
    // A runtime in a group nobody else is in; it runs until the supervisor stops its group.
    const stopped: number[] = [];
    let exit: (e: ExitInfo) => void = () => {};
    const spawn: SupervisorDeps["spawn"] = (spec, deps) => ({
      ...w.spawn(spec, deps),
      pid: process.pid,
      pgid: 999_999,
      exited: new Promise<ExitInfo>((resolve) => {
        exit = resolve;
      }),
    });
    const stopGroup: SupervisorDeps["stopGroup"] = async (pgid) => {
      stopped.push(pgid);
      exit({ code: null, signal: "SIGTERM", livedMs: 20 });
      return { forced: false };
    };
    const { sup } = supervisor({ spawn, stopGroup, listeners: () => [process.pid] }, [], 0.02);
    const error = await sup.start().then(
      () => undefined,
      (e) => e,
    );
    expect(String(error?.message)).toContain(`the bridge port 1 answers, but from pid ${process.pid}, not from the runtime`);
    expect(await sup.done).toBe(4);
    expect(stopped).toContain(999_999); // stopped through the injected stopGroup: no real group was signalled
  });
});

describe("supervisor control (restart, stop, start)", () => {
  test("stop holds an agent against its restart policy; start brings it back; unknown names and the runtime are refused", async () => {
    const w = world({ agent: [undefined], other: [undefined] });
    const { sup, root } = supervisor({ spawn: w.spawn }, ["agent", "other"]);
    await sup.start();
    expect(await sup.control({ cmd: "stop", names: ["agent"] })).toEqual({ ok: true, lines: ["agent: stopped"] });
    expect(readLedger(root)!.children.agent!.state).toBe("stopped");
    expect(await sup.control({ cmd: "restart", names: ["nope"] })).toMatchObject({ ok: false, code: "USAGE", error: "no process named nope (there is core, agent, other)" });
    expect(await sup.control({ cmd: "stop", names: ["core"] })).toMatchObject({ ok: false, code: "USAGE" });
    expect((await sup.control({ cmd: "start", names: ["agent"] })).lines).toEqual(["agent: started (pid 0)"]);
    expect(w.spawns.agent).toBe(2);
    expect((await sup.control({ cmd: "restart", names: [] })).lines).toEqual(["agent: restarted (pid 0)", "other: restarted (pid 0)"]);
    expect(readLedger(root)!.children.other!.restarts).toBe(1);
    await sup.stop();
    expect(await sup.done).toBe(0);
  });

  test("once a stop has begun, a restart starts nothing", async () => {
    const w = world({ agent: [undefined] });
    const { sup } = supervisor({ spawn: w.spawn }, ["agent"]);
    await sup.start();
    const stopping = sup.stop();
    expect(await sup.control({ cmd: "restart", names: ["agent"] })).toMatchObject({ ok: false, code: "PROCESS", error: "loom is stopping; try again when it runs" });
    await stopping;
    expect(w.spawns.agent).toBe(1);
  });
});
