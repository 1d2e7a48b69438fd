import { describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, statSync } from "node:fs";
import http2 from "node:http2";
import { join } from "pathe";
import { loadProjectConfig } from "../../src/config/load";
import { EXAMPLES_DIR } from "../helpers/examples";
import { decide, freshMemory, type RestartSettings } from "../../src/supervisor/restart-policy";
import { discoverAgents, planAgents, planRuntime, pythonFor } from "../../src/launch/process-plan";
import { grpcHeartbeat, heartbeatFrame } from "../../src/net/health";
import { LogFile } from "../../src/logs/log-file";
import { hintFor } from "../../src/supervisor/hints";
import { isSameProcess, processStartTime } from "../../src/proc/identity";
import { tempDir, writeTree } from "../helpers/tmp";

const S: RestartSettings = { baseMs: 100, maxMs: 1000, healthyMs: 10_000, crashLoopLimit: 5 };
const fail = (livedMs = 50) => ({ code: 1, signal: null, livedMs });

describe("restart policy", () => {
  test("the first restart is immediate; repeated fast failures back off, doubling to the cap", () => {
    let memory = freshMemory();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const d = decide("on-failure", fail(), memory, { ...S, crashLoopLimit: 100 });
      if (d.action !== "restart") throw new Error("expected a restart");
      delays.push(d.delayMs);
      memory = d.memory;
    }
    expect(delays).toEqual([0, 100, 200, 400]);
    const capped = decide("on-failure", fail(), { fastFailures: 0, attempt: 10 }, { ...S, crashLoopLimit: 100 });
    expect(capped).toMatchObject({ action: "restart", delayMs: 1000 });
  });

  test("five fast failures in a row is a crash loop", () => {
    let memory = freshMemory();
    let last = decide("on-failure", fail(), memory, S);
    for (let i = 0; i < 4; i++) {
      memory = last.memory;
      last = decide("on-failure", fail(), memory, S);
    }
    expect(last).toMatchObject({ action: "stop", reason: "crash-loop" });
  });

  test("a healthy stretch resets backoff and the crash count", () => {
    const d = decide("on-failure", fail(60_000), { fastFailures: 4, attempt: 6 }, S);
    expect(d).toMatchObject({ action: "restart", delayMs: 0, memory: { fastFailures: 0, attempt: 1 } });
  });

  test("exit 0 is not restarted unless always; never means never; a signal is a failure", () => {
    expect(decide("on-failure", { code: 0, signal: null, livedMs: 5 }, freshMemory(), S)).toMatchObject({ action: "stop", reason: "clean-exit" });
    expect(decide("always", { code: 0, signal: null, livedMs: 5 }, freshMemory(), S).action).toBe("restart");
    expect(decide("never", fail(), freshMemory(), S)).toMatchObject({ action: "stop", reason: "never" });
    expect(decide("on-failure", { code: null, signal: "SIGKILL", livedMs: 5 }, freshMemory(), S).action).toBe("restart");
  });
});

describe("planning", () => {
  test("discovers agents/*.py|ts|js|mjs and the first entry script", () => {
    const root = writeTree(tempDir(), { "agents/a.py": "", "agents/b.ts": "", "agents/_private.py": "", "agents/notes.md": "", "main.py": "", "run.py": "" });
    expect(discoverAgents(root)).toEqual([join(root, "agents/a.py"), join(root, "agents/b.ts"), join(root, "main.py")]);
  });

  test("the project's Python: LOOM_PYTHON, $VIRTUAL_ENV, .venv, python3", () => {
    const root = tempDir();
    expect(pythonFor(root, {})).toBe("python3");
    writeTree(root, { ".venv/bin/python": "" });
    expect(pythonFor(root, {})).toBe(join(root, ".venv/bin/python"));
    expect(pythonFor(root, { VIRTUAL_ENV: "/v" })).toBe("/v/bin/python");
    expect(pythonFor(root, { LOOM_PYTHON: "/p", VIRTUAL_ENV: "/v" })).toBe("/p");
  });

  test("argv, environment and restart policy of each agent; settings tables kept", async () => {
    const root = writeTree(tempDir(), {
      "loom.toml": '[agents.lead_agent]\ntopics = ["a"]\nrestart = "always"\n[agents.tool]\ncommand = ["./tool", "--x"]\nenv = { K = "v" }\n',
      "agents/lead-agent.py": "",
      "agents/web.ts": "",
      "agents/bin-agent": "#!/bin/sh\n",
    });
    chmodSync(join(root, "agents/bin-agent"), 0o755);
    const project = await loadProjectConfig(root, { env: { PATH: "/bin" } });
    const tools = { python: "py", bun: "/loom", preload: "/pre.mjs" };
    const specs = planAgents(project, tools);
    const byName = Object.fromEntries(specs.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["lead-agent", "tool", "web"]);
    expect(byName["lead-agent"]).toMatchObject({ argv: ["py", join(root, "agents/lead-agent.py")], restart: "always", cwd: root });
    expect(byName["lead-agent"]!.env).toMatchObject({ LOOM_AGENT_NAME: "lead-agent", OTEL_SERVICE_NAME: "agent-lead-agent", PYTHONUNBUFFERED: "1", PATH: "/bin" });
    expect(byName.web).toMatchObject({ argv: ["/loom", "run", "--preload", "/pre.mjs", "--no-install", join(root, "agents/web.ts")], restart: "on-failure" });
    expect(byName.web!.env.BUN_BE_BUN).toBe("1");
    expect(byName.tool).toMatchObject({ argv: ["./tool", "--x"] });
    expect(byName.tool!.env.K).toBe("v");
    expect(planAgents(project, tools, [join(root, "agents/bin-agent")])[0]).toMatchObject({ name: "bin-agent", argv: [join(root, "agents/bin-agent")] });
    expect(planRuntime(project, { path: "/cache/loom-core", source: "cache" })).toMatchObject({ name: "core", kind: "runtime", argv: ["/cache/loom-core"], restart: "always" });
  });

  test("[agents.<id>] script binds the file to the id, as upstream apps write it; a table that matches no agent is warned about", async () => {
    const root = writeTree(tempDir(), {
      "loom.toml": '[agents.data-agent]\nscript = "agents/data.py"\ntopics = ["market.price.BTC"]\n[agents.risk-agent]\nenabled = false\n[agents.trend-agent]\ntopics = ["x"]\n',
      "agents/data.py": "",
      "agents/risk.py": "",
    });
    const project = await loadProjectConfig(root, { env: {} });
    const warnings: string[] = [];
    const specs = planAgents(project, { python: "py", bun: "/loom", preload: "/p" }, undefined, warnings);
    expect(specs.map((s) => s.name).sort()).toEqual(["data-agent", "risk"]);
    expect(specs.find((s) => s.name === "data-agent")!.env.LOOM_AGENT_NAME).toBe("data-agent");
    expect(warnings).toEqual([
      '[agents.risk-agent] sets enabled, but no agent is named "risk-agent" (agents: data-agent, risk (agents/risk.py)); bind it to its file with script = "agents/<file>"',
    ]);
  });

  test("the real example apps: a file declaring its agent id in code binds to that table (text only, never run)", async () => {
    const root = writeTree(tempDir(), {
      "loom.toml": readFileSync(join(EXAMPLES_DIR, "market-analyst.loom.toml"), "utf8"),
      "agents/data.py": 'from loom import Agent\nagent = Agent(agent_id="data-agent", topics=["market.price.*"])\n',
      "agents/risk.py": 'AGENT = Agent(\n    agent_id = "risk-agent",\n)\n',
      "agents/helper.py": 'x = Agent(agent_id="not-a-table")\n',
      "agents/two.py": 'a = Agent(agent_id="trend-agent")\nb = Agent(agent_id="planner-agent")\n',
    });
    const project = await loadProjectConfig(root, { env: { DEEPSEEK_API_KEY: "k" } });
    const warnings: string[] = [];
    const specs = planAgents(project, { python: "py", bun: "/loom", preload: "/p" }, undefined, warnings);
    expect(specs.map((s) => s.name).sort()).toEqual(["data-agent", "helper", "risk-agent", "two"]);
    expect(specs.find((s) => s.name === "data-agent")!.env.LOOM_AGENT_NAME).toBe("data-agent");
    expect(warnings).toEqual([]);
  });

  test("the runtime reads VLLM_* of the chosen provider and every MCP field; agents get neither", async () => {
    const root = writeTree(tempDir(), {
      "loom.toml":
        '[bridge]\nllm = "local"\n[llm.remote]\napi_base = "https://r/v1"\nmodel = "big"\n[llm.local]\napi_base = "http://l/v1"\nmodel = "small"\napi_key = "k-1"\ntemperature = 0.2\ntimeout_sec = 12\n[mcp.fs]\ncommand = "npx"\ncwd = "tools"\nprotocol_version = "2025-03-26"\n[mcp.fs.env]\nTOKEN = "t"\n',
      "agents/a.py": "",
    });
    const project = await loadProjectConfig(root, { env: { VLLM_TEMPERATURE: "0.9" } });
    const runtime = planRuntime(project, { path: "/bin/rt", source: "cache" }).env;
    expect(runtime).toMatchObject({ VLLM_BASE_URL: "http://l/v1", VLLM_MODEL: "small", VLLM_API_KEY: "k-1", REQUEST_TIMEOUT_MS: "12000", VLLM_TEMPERATURE: "0.9" });
    expect(JSON.parse(runtime.LOOM_MCP_SERVERS!)).toEqual({ fs: { command: "npx", args: [], env: { TOKEN: "t" }, cwd: "tools", protocol_version: "2025-03-26" } });
    expect(Object.keys(runtime).filter((k) => k.startsWith("LOOM_LLM_"))).toEqual([]);
    const agent = planAgents(project, { python: "py", bun: "/loom", preload: "/p" })[0]!.env;
    expect(agent.LOOM_MCP_SERVERS).toBeUndefined();
    expect(agent.VLLM_MODEL).toBeUndefined();
    expect(agent.LOOM_BRIDGE_ADDR).toBe(runtime.LOOM_BRIDGE_ADDR);
  });

  test("bad agent settings and paths are errors with exit code 2", async () => {
    const root = writeTree(tempDir(), { "loom.toml": '[agents.x]\nscript = "nope.py"\n' });
    const project = await loadProjectConfig(root, { env: {} });
    const tools = { python: "py", bun: "/loom", preload: "/p" };
    expect(() => planAgents(project, tools)).toThrow("`agents.x.script` is nope.py, which does not exist");
    expect(() => planAgents(project, tools, [join(root, "missing.py")])).toThrow("does not exist");
    // A wrong value is the configuration's error now, with its line (config/schema.ts), before any plan.
    const bad = loadProjectConfig(writeTree(tempDir(), { "loom.toml": '[agents.x]\ncommand = "python x.py"\n' }), { env: {} });
    expect(bad).rejects.toThrow(/loom\.toml:2:\d+: `agents\.x\.command` must be a non-empty array of strings/);
  });
});

describe("health", () => {
  function server(handler: (stream: http2.ServerHttp2Stream) => void): Promise<{ address: string; close(): void }> {
    const s = http2.createServer();
    s.on("stream", (stream: http2.ServerHttp2Stream) => {
      stream.on("data", () => {});
      stream.on("end", () => handler(stream));
    });
    return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve({ address: `127.0.0.1:${(s.address() as { port: number }).port}`, close: () => s.close() })));
  }

  test("the request frame: uncompressed, length-prefixed HeartbeatRequest", () => {
    const frame = heartbeatFrame(300);
    expect([...frame]).toEqual([0, 0, 0, 0, 3, 0x08, 0xac, 0x02]);
  });

  test("grpc-status 0 in trailers is healthy; a trailers-only error is not; a closed port is refused", async () => {
    const ok = await server((s) => {
      s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
      s.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    const bad = await server((s) => s.respond({ ":status": 200, "grpc-status": "14", "grpc-message": "draining" }, { endStream: true }));
    try {
      expect(await grpcHeartbeat(ok.address)).toEqual({ ok: true });
      expect(await grpcHeartbeat(bad.address)).toEqual({ ok: false, detail: "grpc-status 14: draining" });
    } finally {
      ok.close();
      bad.close();
    }
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = closed.port;
    closed.stop(true);
    expect(await grpcHeartbeat(`127.0.0.1:${port}`)).toEqual({ ok: false, detail: "connection refused" });
  });
});

describe("logs, hints, identity", () => {
  test("log files rotate by size and keep a few", () => {
    const dir = tempDir();
    const log = new LogFile(join(dir, "a.log"), 100, 2);
    for (let i = 0; i < 10; i++) log.write("x".repeat(60) + "\n");
    log.close();
    log.write("after close is ignored\n");
    expect(readdirSync(dir).sort()).toEqual(["a.log", "a.log.1", "a.log.2"]);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(100);
    expect(statSync(join(dir, "a.log")).mode & 0o777).toBe(0o600);
  });

  test("known causes get a hint", () => {
    expect(hintFor("OSError: [Errno 98] Address already in use")).toContain("port");
    expect(hintFor("Error: Cannot find module 'x'")).toContain("module");
    expect(hintFor("grpc: Connection refused")).toContain("runtime");
    expect(hintFor("all fine")).toBeUndefined();
  });

  test("a process is the same only with the same start time", () => {
    const start = processStartTime(process.pid);
    expect(start).toBeDefined();
    expect(isSameProcess({ pid: process.pid, startTime: start })).toBe(true);
    expect(isSameProcess({ pid: process.pid, startTime: "1" })).toBe(false);
    expect(isSameProcess({ pid: 999_999_9, startTime: start })).toBe(false);
  });
});
