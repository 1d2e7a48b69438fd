/**
 * loom as a library: a TypeScript program (run by Bun, in its own process) starts a project with
 * the runtime double and two agents through runOrchestrator, sees them ready, stops it, and leaves
 * no process; startCore hands back a ready runtime; startEmbeddedBridge serves the Bridge protocol
 * in this process to a protocol client.
 */
import { describe, expect, test } from "bun:test";
import { join } from "pathe";
import { connectAgent } from "../../src/client/agent";
import { callTool } from "../../src/client/call";
import { grpcHeartbeat } from "../../src/net/health";
import { startEmbeddedBridge } from "../../src/index";
import { ROOT, cleanEnv } from "../helpers/loom";
import { leftIn, loom, makeProject, runtimeEnv } from "../helpers/runtime";
import { tempDir, writeTree } from "../helpers/tmp";

const PROGRAM = join(ROOT, "test/fixtures/library-program.ts");

/** The program's JSON lines, one at a time; `send` writes to its stdin. */
function program(args: string[], env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, PROGRAM, ...args], { env: cleanEnv(env), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let buffered = "";
  const next = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        return JSON.parse(line);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`the program ended: ${await new Response(proc.stderr).text()}`);
      buffered += new TextDecoder().decode(value);
    }
  };
  const send = (line: string) => {
    proc.stdin.write(`${line}\n`);
    proc.stdin.flush();
  };
  return { proc, next, send };
}

describe("the library", () => {
  test("the seed's example from another directory: scripts relative to projectDir, onReady once the agents registered, the SDK from the package", async () => {
    const root = makeProject(["echo.ts"], 'runtime = "embedded"\n');
    const p = program(["ask", root], {});
    try {
      const { registered, answer } = (await p.next()) as { registered: string[]; answer: string };
      expect(registered).toEqual(["echo"]);
      expect(answer).toBe('{"n":1}');
      expect(((await p.next()) as { result: { reason: string } }).result.reason).toBe("stopped");
    } finally {
      p.proc.kill();
    }
    expect(await leftIn(root)).toEqual([]);
  });

  test("runOrchestrator: the runtime and two agents ready, stopped by an AbortSignal, nothing left", async () => {
    const root = makeProject(["idle.py", "idle.ts"]);
    const p = program(["run", root], runtimeEnv());
    try {
      const { ready } = (await p.next()) as { ready: { bridge: string; agents: string[] } };
      expect(ready.agents.sort()).toEqual(["idle", "idle-2"]);
      expect((await grpcHeartbeat(ready.bridge, 2_000)).ok).toBe(true);
      const status = JSON.parse((await loom(["status", "--json"], root)).out) as { processes: { name: string; state: string }[] };
      expect(status.processes.map((x) => `${x.name} ${x.state}`).sort()).toEqual(["core running", "idle running", "idle-2 running"]);
      p.send("stop");
      const { result, events } = (await p.next()) as { result: { exitCode: number; reason: string }; events: string[] };
      expect(result).toEqual({ exitCode: 0, reason: "stopped" });
      expect(events.join("\n")).toContain("runtime ready: bridge");
      expect(await p.proc.exited).toBe(0);
      expect(await leftIn(root)).toEqual([]);
    } finally {
      p.proc.kill("SIGKILL");
    }
  });

  test("runOrchestrator in a host program signals nothing the host started itself", async () => {
    const root = makeProject(["idle.py"]);
    const p = program(["run", root, "--own-child"], runtimeEnv());
    try {
      await p.next(); // ready
      p.send("stop");
      const { result, events, ownChildAlive } = (await p.next()) as { result: { exitCode: number }; events: string[]; ownChildAlive: boolean };
      expect(result.exitCode).toBe(0);
      expect(events.join("\n")).not.toContain("sleep");
      expect(ownChildAlive).toBe(true);
      expect(await leftIn(root)).toEqual([]);
    } finally {
      p.proc.kill("SIGKILL");
    }
  });

  test("startCore: returned once it answers, with its dashboard; stop() stops it", async () => {
    const p = program(["core"], { XDG_STATE_HOME: tempDir() });
    try {
      const { core } = (await p.next()) as { core: { address: string; dashboard: string } };
      expect((await grpcHeartbeat(core.address, 2_000)).ok).toBe(true);
      expect((await fetch(`${core.dashboard}/api/metrics`)).status).toBe(200);
      p.send("stop");
      expect(await p.next()).toEqual({ stopped: 0 });
      expect((await grpcHeartbeat(core.address, 500)).ok).toBe(false);
    } finally {
      p.proc.kill("SIGKILL");
    }
  });

  test("startEmbeddedBridge: the Bridge protocol in this process, with its tools in `root`", async () => {
    const root = writeTree(tempDir(), { "notes/a.txt": "hi" });
    const bridge = await startEmbeddedBridge({ root });
    try {
      const target = { address: bridge.address, shown: bridge.address };
      const listener = await connectAgent(target, "listener", ["library.*"]);
      const got = new Promise<string>((resolve) => listener.onDelivery((d) => resolve(Buffer.from(d.event.payload ?? []).toString())));
      const speaker = await connectAgent(target, "speaker", []);
      speaker.publish("library.test", '{"ok": true}');
      expect(await got).toBe('{"ok": true}');
      const listing = await callTool(target, "fs:list_dir", '{"path": "notes"}', 5_000);
      expect(listing.status).toBe("TOOL_OK");
      expect(JSON.parse(listing.output).entries.map((e: { name: string }) => e.name)).toEqual(["a.txt"]);
      await speaker.close();
      await listener.close();
    } finally {
      bridge.stop();
    }
  });
});
