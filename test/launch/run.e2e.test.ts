/** loom up / run / down / status / logs through dist/loom, against the runtime double. */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "pathe";
import { grpcHeartbeat } from "../../src/net/health";
import { isAlive } from "../../src/proc/identity";
import { LoomProcess, leftIn, loom, makeProject, poll, releaseServer } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];

function ledger(root: string) {
  return JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
}

async function status(root: string) {
  const r = await loom(["status", "--json"], root);
  return JSON.parse(r.out);
}

describe("loom up --detach and loom down", () => {
  test("downloads the runtime, waits until it answers, returns with the addresses; down stops it all", async () => {
    const root = makeProject();
    const up = await loom(["up", "--detach", ...FREE], root);
    expect(up.code).toBe(0);
    expect(up.out).toMatch(/loom is running in the background \(supervisor pid \d+\)/);
    const address = /bridge\s+(\S+)/.exec(up.out)![1]!;
    expect(up.out).toMatch(/dashboard\s+http:\/\/127\.0\.0\.1:\d+/);
    expect((await grpcHeartbeat(address)).ok).toBe(true);
    expect(releaseServer().count(".tar.gz")).toBeGreaterThan(0);
    expect(statSync(join(root, ".loom/state.json")).mode & 0o777).toBe(0o600);

    const s = await status(root);
    expect(s).toMatchObject({ running: true, phase: "running", bridge: address });
    expect(s.processes[0]).toMatchObject({ name: "core", state: "running", health: "ok", restarts: 0 });
    // CPU and memory of each running process group, as pm2 ls shows them.
    expect(s.processes[0].rssMb).toBeGreaterThan(1);
    expect(s.processes[0].cpuPercent).toBeGreaterThanOrEqual(0);
    expect((await loom(["status"], root)).out).toMatch(/core +running +\d+ +\d+s +[\d.]+% +[\d.]+ MB/);

    const second = await loom(["up", "--detach", ...FREE], root);
    expect(second.code).toBe(4);
    expect(second.err).toContain(`loom is already running in ${root} (supervisor pid ${s.supervisorPid}`);

    const down = await loom(["down"], root);
    expect(down.code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
    expect(existsSync(join(root, ".loom/state.json"))).toBe(false);
    expect((await grpcHeartbeat(address, 500)).ok).toBe(false);
    expect((await loom(["status"], root)).out).toContain("loom is not running");
  });

  test("bridge-only mode runs loom-bridge without a dashboard", async () => {
    const root = makeProject();
    writeFileSync(join(root, "loom.toml"), `[bridge]\nversion = "0.1.0"\nmode = "bridge-only"\n`);
    const up = await loom(["up", "--detach", "--bridge-port", "0"], root);
    expect(up.code).toBe(0);
    expect(up.out).not.toContain("dashboard");
    expect((await status(root)).processes[0].name).toBe("bridge");
    expect((await loom(["down"], root)).code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
  });

  test("the runtime gets the contract's environment (VLLM_*, every MCP field); the agents get neither", async () => {
    const dump = join(tempDir(), "env.json");
    const agentDumps = tempDir();
    const root = makeProject(
      ["idle.py"],
      '[llm.main]\napi_key = "sk-1"\napi_base = "http://llm"\nmodel = "m1"\ntimeout_sec = 9\n[mcp.fs]\ncommand = "npx"\nargs = ["-y", "fs"]\ncwd = "tools"\n',
    );
    expect((await loom(["run", "--detach", ...FREE], root, { DOUBLE_ENV_DUMP: dump, OTEL_SERVICE_NAME: "mine", AGENT_ENV_DUMP: agentDumps })).code).toBe(0);
    const env = JSON.parse(readFileSync(dump, "utf8"));
    expect(env).toMatchObject({
      LOOM_DASHBOARD: "true",
      VLLM_API_KEY: "sk-1",
      VLLM_BASE_URL: "http://llm",
      VLLM_MODEL: "m1",
      REQUEST_TIMEOUT_MS: "9000",
      OTEL_SERVICE_NAME: "mine",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4317",
      OTEL_TRACE_SAMPLER: "always_on",
    });
    expect(JSON.parse(env.LOOM_MCP_SERVERS)).toEqual({ fs: { command: "npx", args: ["-y", "fs"], env: {}, cwd: "tools" } });
    expect(env.LOOM_BRIDGE_ADDR).toBe(ledger(root).bridge.address);
    expect(Object.keys(env).filter((k) => k.startsWith("LOOM_LLM_"))).toEqual([]);
    const agent = JSON.parse(await poll("the agent's environment", () => existsSync(join(agentDumps, "idle.json")) && readFileSync(join(agentDumps, "idle.json"), "utf8")));
    expect(agent.LOOM_BRIDGE_ADDR).toBe(env.LOOM_BRIDGE_ADDR);
    expect(agent.LOOM_MCP_SERVERS).toBeUndefined();
    expect(agent.VLLM_API_KEY).toBeUndefined();
  });
});

describe("bad starts exit 4 and leave nothing running", () => {
  test("the bridge port is already taken: names the port and its holder, starts nothing", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const root = makeProject();
      writeFileSync(join(root, "loom.toml"), `[bridge]\nversion = "0.1.0"\naddress = "127.0.0.1:${holder.port}"\n`);
      const r = await loom(["up", "--dashboard-port", "0"], root);
      expect(r.code).toBe(4);
      expect(r.err).toContain(`the bridge port ${holder.port} on 127.0.0.1 is already in use by pid ${process.pid}`);
      expect(r.err).toContain("--bridge-port 0");
      expect(await leftIn(root)).toEqual([]);
      const flag = await loom(["up", "--detach", "--bridge-port", String(holder.port), "--dashboard-port", "0"], root);
      expect(flag.code).toBe(4);
      expect(flag.err).toContain(`the bridge port ${holder.port} on 127.0.0.1 is already in use`);
    } finally {
      holder.stop(true);
    }
  });

  test("a runtime that never gets ready: gives up after timeout_sec with its last log lines", async () => {
    const root = makeProject();
    writeFileSync(join(root, "loom.toml"), `[bridge]\nversion = "0.1.0"\ntimeout_sec = 1\n`);
    const r = await loom(["up", "--detach", ...FREE], root, { DOUBLE_START_DELAY_MS: "60000" });
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/the runtime was not ready after 1s \(last check: bridge 127\.0\.0\.1:\d+: connection refused\)/);
    expect(await leftIn(root)).toEqual([]);
    expect((await status(root)).phase).toBe("dead");
  });

  test("a runtime that exits at start: says so with its stderr", async () => {
    const root = makeProject();
    const r = await loom(["up", ...FREE], root, { DOUBLE_EXIT_CODE: "2" });
    expect(r.code).toBe(4);
    expect(r.err).toContain("stopped before it was ready");
    expect(r.err).toContain("exiting with 2 as asked");
    expect(await leftIn(root)).toEqual([]);
  });

  test("an unhealthy runtime (grpc-status 14) is not ready", async () => {
    const root = makeProject();
    writeFileSync(join(root, "loom.toml"), `[bridge]\nversion = "0.1.0"\ntimeout_sec = 1\n`);
    const r = await loom(["up", ...FREE], root, { DOUBLE_UNHEALTHY: "1" });
    expect(r.code).toBe(4);
    expect(r.err).toContain("grpc-status 14: not ready");
    expect(await leftIn(root)).toEqual([]);
  });
});

describe("loom run", () => {
  test("Python and TypeScript agents start after the runtime, with their environment; Ctrl+C stops all (exit 130)", async () => {
    const dumps = tempDir();
    const root = makeProject(["idle.py", "idle.ts"]);
    const run = new LoomProcess(["run", ...FREE], root, { AGENT_ENV_DUMP: dumps });
    await run.waitFor(/idle +\| idle\.py up as idle/);
    await run.waitFor(/idle-2 +\| idle\.ts up as idle-2 service=agent-idle-2 bridge=127\.0\.0\.1:\d+ bun_be_bun=unset/);
    await run.waitFor("child sees BUN_BE_BUN=unset");
    expect(run.all.indexOf("runtime ready")).toBeLessThan(run.all.indexOf("idle.py up"));
    const env = JSON.parse(readFileSync(join(dumps, "idle-2.json"), "utf8"));
    expect(env).toMatchObject({ LOOM_AGENT_NAME: "idle-2", OTEL_SERVICE_NAME: "agent-idle-2", LOOM_DASHBOARD: "true" });
    expect(readFileSync(join(root, ".loom/logs/idle.log"), "utf8")).toContain("idle.py up as idle");

    run.signal("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.all).toContain("idle.ts got SIGINT");
    expect(await leftIn(root)).toEqual([]);
  });

  test("explicit paths run only those agents; an [agents.x] command runs as configured", async () => {
    const root = makeProject(["idle.py", "clean-exit.py"], '[agents.custom]\ncommand = ["sh", "-c", "echo custom says $$GREETING; sleep 600"]\nenv = { GREETING = "hi" }\n');
    const run = new LoomProcess(["run", "--detach", ...FREE, join(root, "agents/idle.py")], root);
    expect(await run.exited).toBe(0);
    const names = (await status(root)).processes.map((p: { name: string }) => p.name);
    expect(names).toEqual(["core", "idle"]);
    await loom(["down"], root);
    const all = await loom(["run", "--detach", ...FREE], root);
    expect(all.code).toBe(0);
    await poll("custom's output", () => existsSync(join(root, ".loom/logs/custom.log")) && readFileSync(join(root, ".loom/logs/custom.log"), "utf8").includes("custom says hi"));
    expect((await status(root)).processes.map((p: { name: string }) => p.name).sort()).toEqual(["clean-exit", "core", "custom", "idle"]);
  });

  test("a crashed agent is restarted; a crash loop gives up with the reason, stderr and a hint", async () => {
    const root = makeProject(["crash-once.py", "crash.py"]);
    const run = new LoomProcess(["run", ...FREE], root);
    await run.waitFor("crash-once.py: second run, staying up");
    await run.waitFor(/crash: crash loop: failed 5 times in a row/);
    expect(run.all).toContain("exited with code 1 after");
    expect(run.all).toContain("No module named 'loom'");
    expect(run.all).toContain("hint: a module is missing");
    const s = await status(root);
    const byName = Object.fromEntries(s.processes.map((p: { name: string }) => [p.name, p]));
    expect(byName["crash-once"]).toMatchObject({ state: "running", restarts: 1, lastExit: "exit 3" });
    expect(byName.crash).toMatchObject({ state: "crash-loop", restarts: 4, lastExit: "exit 1" });
    run.signal("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(await leftIn(root)).toEqual([]);
  });

  test('a clean exit is not restarted, unless restart = "always"', async () => {
    const root = makeProject(["clean-exit.py"], '[agents.again]\nscript = "agents/again.py"\nrestart = "always"\n', { "agents/again.py": 'print("again: done", flush=True)\n' });
    const run = new LoomProcess(["run", ...FREE], root, { LOOM_CRASH_LOOP_LIMIT: "100" });
    await run.waitFor("clean-exit exited with code 0 (not restarted: it exited cleanly)");
    await poll("again restarted twice", () => (run.all.match(/again: done/g) ?? []).length >= 3);
    run.signal("SIGTERM");
    await run.exited;
  });

  test("a runtime crash restarts the runtime; agents keep running", async () => {
    const root = makeProject(["idle.py"]);
    const run = new LoomProcess(["run", "--detach", ...FREE], root, { DOUBLE_CRASH_AFTER_MS: "1500", LOOM_HEALTHY_STRETCH_MS: "1000" });
    expect(await run.exited).toBe(0);
    const before = (await status(root)).processes.find((p: { name: string }) => p.name === "idle").pid;
    await poll("a runtime restart", async () => (await status(root)).processes[0].restarts >= 1);
    await poll("the runtime healthy again", async () => (await status(root)).processes[0].health === "ok");
    const after = await status(root);
    expect(after.processes.find((p: { name: string }) => p.name === "idle")).toMatchObject({ pid: before, restarts: 0, state: "running" });
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain("core exited with code 3");
  });
});

describe("liveness", () => {
  test("a runtime that stops answering Heartbeats is marked unhealthy, then restarted", async () => {
    const root = makeProject(["idle.py"]);
    const run = await loom(["run", "--detach", ...FREE], root, { DOUBLE_UNHEALTHY_AFTER_MS: "1500", LOOM_LIVENESS_INTERVAL_MS: "100" });
    expect(run.code).toBe(0);
    await poll("a liveness restart", async () => (await status(root)).processes[0].restarts >= 1);
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toMatch(/runtime failed 3 heartbeats \(grpc-status 14: not ready\); restarting it/);
    expect((await status(root)).processes.find((p: { name: string }) => p.name === "idle").restarts).toBe(0);
  });
});

describe("stopping", () => {
  test("a runtime that ignores SIGTERM is killed after the grace period, the run's own when loom down has none", async () => {
    const root = makeProject();
    expect((await loom(["up", "--detach", "--grace", "1", ...FREE], root, { DOUBLE_IGNORE_SIGTERM: "1" })).code).toBe(0);
    const down = await loom(["down"], root);
    expect(down.code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain("core did not stop within 1000 ms; killed it");
  });

  test("an agent that ignores SIGTERM is killed after --grace; its grandchild goes too", async () => {
    const root = makeProject(["ignore-term.py", "grandchild.py"]);
    expect((await loom(["run", "--detach", "--grace", "1", ...FREE], root)).code).toBe(0);
    const grandchild = Number(await poll("grandchild.pid", () => existsSync(join(root, "grandchild.pid")) && readFileSync(join(root, "grandchild.pid"), "utf8")));
    const started = Date.now();
    const down = await loom(["down", "--grace", "1"], root);
    expect(down.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000); // a safety bound, not a timing assertion
    expect(await leftIn(root)).toEqual([]);
    expect(isAlive(grandchild)).toBe(false);
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain("ignore-term did not stop within 1000 ms; killed it");
  });

  test("Ctrl+C while the runtime is still starting: a clean stop, exit 130", async () => {
    const root = makeProject();
    const run = new LoomProcess(["up", ...FREE], root, { DOUBLE_START_DELAY_MS: "60000" });
    await run.waitFor("[info] runtime:");
    await poll("the runtime process", () => existsSync(join(root, ".loom/state.json")) && ledger(root).children.core.pid);
    run.signal("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.all).not.toContain("error:");
    expect(await leftIn(root)).toEqual([]);
  });

  test("a second Ctrl+C kills at once", async () => {
    const root = makeProject(["ignore-term.py"]);
    const run = new LoomProcess(["run", "--grace", "60", ...FREE], root);
    await run.waitFor("ignoring SIGTERM and SIGINT");
    run.signal("SIGINT");
    await run.waitFor("press Ctrl+C again");
    run.signal("SIGINT");
    expect(await run.exited).toBe(130);
    expect(await leftIn(root)).toEqual([]);
  });

  test("the supervisor SIGKILLed: the watchdog stops its process groups, grandchildren included", async () => {
    const root = makeProject(["idle.py", "grandchild.py"]);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const grandchild = Number(await poll("grandchild.pid", () => existsSync(join(root, "grandchild.pid")) && readFileSync(join(root, "grandchild.pid"), "utf8")));
    process.kill(ledger(root).supervisor.pid, "SIGKILL");
    expect(await leftIn(root, 5_000)).toEqual([]);
    expect(isAlive(grandchild)).toBe(false);
    expect((await status(root)).running).toBe(false);
    const down = await loom(["down"], root);
    expect(down.code).toBe(0);
    expect(existsSync(join(root, ".loom/state.json"))).toBe(false);
  });

  test("supervisor and watchdog both SIGKILLed: loom down finds the survivors by the ledger", async () => {
    const root = makeProject(["idle.py", "grandchild.py"]);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    // Wait for each agent's last line: an agent still writing when its supervisor dies gets a broken pipe.
    const logged = (name: string, text: string) => existsSync(join(root, `.loom/logs/${name}.log`)) && readFileSync(join(root, `.loom/logs/${name}.log`), "utf8").includes(text);
    await poll("the agents' output", () => logged("grandchild", "started sleep as pid") && logged("idle", "idle.py up"));
    const l = ledger(root);
    process.kill(l.watchdog.pid, "SIGKILL");
    process.kill(l.supervisor.pid, "SIGKILL");
    await Bun.sleep(300); // give a (wrongly) surviving watchdog the chance to act; it must not exist
    expect((await status(root)).processes.filter((p: { state: string }) => p.state === "orphaned").length).toBe(3);
    const down = await loom(["down", "--grace", "1"], root);
    expect(down.code).toBe(0);
    expect(down.all).toContain("stopped what it left");
    expect(await leftIn(root)).toEqual([]);
  });

  test("a pid in the ledger that now belongs to another process is never signalled", async () => {
    const root = makeProject();
    const stranger = Bun.spawn(["sleep", "600"], { cwd: tempDir() });
    try {
      mkdirSync(join(root, ".loom"), { recursive: true });
      writeFileSync(
        join(root, ".loom/state.json"),
        JSON.stringify({
          version: 1,
          root,
          phase: "running",
          supervisor: { pid: 999999, startTime: "1", startedAt: Date.now(), detached: true },
          bridge: { address: "127.0.0.1:1", mode: "full" },
          logsDir: join(root, ".loom/logs"),
          children: {
            agent: { name: "agent", kind: "agent", state: "running", pid: stranger.pid, pgid: stranger.pid, startTime: "12345", restarts: 0, logs: { out: "", err: "" } },
          },
        }),
      );
      const down = await loom(["down", "--grace", "1"], root);
      expect(down.code).toBe(0);
      await Bun.sleep(200); // room for a (wrong) delayed SIGKILL to land before checking
      expect(isAlive(stranger.pid)).toBe(true);
      expect(stranger.killed).toBe(false);
    } finally {
      stranger.kill("SIGKILL");
    }
  });

  test("loom down --all stops every project of this user", async () => {
    const home = tempDir();
    const a = makeProject();
    const b = makeProject();
    expect((await loom(["up", "--detach", ...FREE], a, { XDG_STATE_HOME: home })).code).toBe(0);
    expect((await loom(["up", "--detach", ...FREE], b, { XDG_STATE_HOME: home })).code).toBe(0);
    const down = await loom(["down", "--all"], tempDir(), { XDG_STATE_HOME: home });
    expect(down.code).toBe(0);
    expect(await leftIn(a)).toEqual([]);
    expect(await leftIn(b)).toEqual([]);
  });
});

describe("logs", () => {
  test("loom logs -f prints what is appended", async () => {
    const root = makeProject([], "", { "agents/tick.py": 'import time\nfor i in range(1000):\n    print(f"tick {i}", flush=True)\n    time.sleep(0.1)\n' });
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    await poll("the first tick", () => existsSync(join(root, ".loom/logs/tick.log")) && readFileSync(join(root, ".loom/logs/tick.log"), "utf8").includes("tick 1"));
    const follow = new LoomProcess(["logs", "tick", "-f", "-n", "0"], root);
    await follow.waitFor(/tick \| tick (\d+)\n[\s\S]*tick \| tick \d+/);
    follow.signal("SIGINT");
    expect(await follow.exited).toBe(0);
  });

  test("loom logs interleaves processes by the time loom read each line; --timestamps, --since, --json", async () => {
    // ping prints, then pong, then ping again: three lines that only time can put in order. 100 ms
    // apart: a time is when loom read the line, and a supervisor busy for a moment reads two
    // pipes that became readable meanwhile in either order.
    const ping =
      'import os, time\nprint("ping 1", flush=True)\nopen("pong.go", "w").close()\nwhile not os.path.exists("ping.go"):\n    time.sleep(0.02)\ntime.sleep(0.1)\nprint("ping 2", flush=True)\ntime.sleep(3600)\n';
    const pong =
      'import os, time\nwhile not os.path.exists("pong.go"):\n    time.sleep(0.02)\ntime.sleep(0.1)\nprint("pong 1", flush=True)\nopen("ping.go", "w").close()\ntime.sleep(3600)\n';
    const root = makeProject([], "", { "agents/ping.py": ping, "agents/pong.py": pong });
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    await poll("both agents' lines", () => existsSync(join(root, ".loom/logs/ping.log")) && readFileSync(join(root, ".loom/logs/ping.log"), "utf8").includes("ping 2"));
    const logs = await loom(["logs"], root);
    const agentLines = logs.out.split("\n").filter((l) => /^(ping|pong)\s+\| (ping|pong) \d$/.test(l));
    expect(agentLines.map((l) => l.replace(/\s+\|/, " |"))).toEqual(["ping | ping 1", "pong | pong 1", "ping | ping 2"]);
    const stamped = await loom(["logs", "ping", "--timestamps"], root);
    expect(stamped.out).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ping \| ping 1$/m);
    const json = (await loom(["logs", "--json"], root)).out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(json.find((j) => j.text === "pong 1")).toEqual({ time: expect.stringMatching(/Z$/), process: "pong", stream: "stdout", text: "pong 1" });
    expect((await loom(["logs", "--since", "1h"], root)).out).toContain("pong 1");
    expect((await loom(["logs", "--since", new Date(Date.now() + 60_000).toISOString()], root)).out).toBe("");
    expect((await loom(["logs", "--since", "soon"], root)).code).toBe(2);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("loom logs shows the last lines; a flooding agent's log rotates by size", async () => {
    const root = makeProject(["flood.ts"]);
    expect((await loom(["run", "--detach", ...FREE], root, { FLOOD_MB: "6", LOOM_LOG_MAX_BYTES: String(2 * 1024 * 1024) })).code).toBe(0);
    await poll("flood to finish", () => existsSync(join(root, ".loom/logs/flood.log")) && readFileSync(join(root, ".loom/logs/flood.log"), "utf8").includes("flood.ts: done"));
    expect(existsSync(join(root, ".loom/logs/flood.log.1"))).toBe(true);
    expect(existsSync(join(root, ".loom/logs/flood.log.4"))).toBe(false);
    for (const f of ["flood.log", "flood.log.1"]) expect(statSync(join(root, ".loom/logs", f)).size).toBeLessThanOrEqual(2 * 1024 * 1024);
    const logs = await loom(["logs", "flood", "-n", "1"], root);
    expect(logs.code).toBe(0);
    expect(logs.out).toContain("flood | flood.ts: done");
    // -n is the last lines of every process together, with loom's markers once, as `tail` would.
    const three = (await loom(["logs", "-n", "3"], root)).out.trim().split("\n");
    expect(three).toHaveLength(3);
    expect(three.filter((l) => l.includes("! --- loom "))).toEqual([]);
    const unknown = await loom(["logs", "nope"], root);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no logs for "nope"');
  });
});
