/**
 * The attacks of the security issue, through dist/loom (docs/security.md): another local user,
 * a rebinding page, a non-loopback address, a pid namespace, a killed supervisor, a long path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { join } from "pathe";
import { DEBIAN_PYTHON } from "../../scripts/python-stubs";
import { cleanEnv, ensureBuilt } from "../helpers/loom";
import { makeOtherUser, type OtherUser, otherUserUnavailable } from "../helpers/other-user";
import { loom, makeProject, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const EMBEDDED = 'runtime = "embedded"\n';

async function up(root: string, env: Record<string, string> = {}) {
  const r = await loom(["up", "--detach", ...FREE], root, env);
  expect(r.code, r.all).toBe(0);
  const ledger = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
  return { address: ledger.bridge.address as string, socket: ledger.bridge.socket as string, dashboard: ledger.dashboard as string };
}

/** A GET with the Host header given (fetch would not send a forged one). */
function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: host ? { host } : {} }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

/** Alive and not a zombie (a zombie is dead, only not yet reaped by whoever adopted it). */
const isAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
};

describe.skipIf(Boolean(otherUserUnavailable()))(`another local user (${otherUserUnavailable() ?? "useradd + runuser"})`, () => {
  let other: OtherUser;
  beforeAll(() => {
    other = makeOtherUser();
  });
  afterAll(() => other?.remove());

  test("reaches neither the Bridge (TCP or its socket) nor the dashboard; the owner does", async () => {
    const root = makeProject([], EMBEDDED, { "data/in.txt": "mine" });
    const { address, socket, dashboard } = await up(root);
    expect(socket).toBe(join(root, ".loom/bridge.sock"));

    const tcp = await other.run([other.loom, "call", "fs:read_file", '{"path": "data/in.txt"}', "--address", address]);
    expect(tcp.code).not.toBe(0);
    expect(tcp.out).not.toContain("mine");
    const viaSocket = await other.run([other.loom, "ping", "-c", "1", "--address", `unix:${socket}`]);
    expect(viaSocket.code).toBe(4);
    const page = await other.run([
      DEBIAN_PYTHON,
      "-c",
      `import urllib.request as u\ntry:\n  u.urlopen("${dashboard}/api/topology")\nexcept Exception as e:\n  print(getattr(e, "code", e))`,
    ]);
    expect(page.out.trim()).toBe("403");
    await poll("the refusal logged", () => readFileSync(join(root, ".loom/logs/core.err"), "utf8").includes(`refused a connection from uid ${other.uid}`));

    expect((await loom(["ping", "-c", "1"], root)).code).toBe(0); // the owner, over the socket
    expect((await loom(["ping", "-c", "1", "--address", address], root)).code).toBe(0); // and over TCP
    const mine = await loom(["call", "fs:read_file", '{"path": "data/in.txt"}', "--json"], root);
    expect(mine.out).toContain("mine");
    expect((await get(`${dashboard}/api/topology`)).status).toBe(200);

    chmodSync(root, 0o755); // the project readable, its .loom/ still 0700
    const status = await other.run([other.loom, "status"], { cwd: root });
    expect(status.code).toBe(2);
    expect(status.err).toContain("permission denied");
    expect(status.err).not.toContain("bug in loom");
  });
});

describe("what loom serves keeps to its owner", () => {
  test("a page under another host name (DNS rebinding) reads nothing from the dashboard", async () => {
    const root = makeProject([], EMBEDDED);
    const { dashboard } = await up(root);
    const port = new URL(dashboard).port;
    expect((await get(`${dashboard}/api/events/status`, `rebind.attacker.example:${port}`)).status).toBe(403);
    expect((await get(`${dashboard}/api/events/stream`, "rebind.attacker.example")).status).toBe(403);
    expect((await get(`${dashboard}/api/events/status`, `localhost:${port}`)).status).toBe(200);
    const ok = await fetch(`${dashboard}/api/metrics`);
    expect(ok.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a non-loopback Bridge is refused unless exposed on purpose, and then the risk is named", async () => {
    const refused = makeProject([], `${EMBEDDED}address = "0.0.0.0:0"\n`);
    const r = await loom(["up", "--detach", ...FREE], refused);
    expect(r.code).toBe(2);
    expect(r.err).toContain("non-loopback address");
    expect(r.err).toContain("expose = true");
    expect(existsSync(join(refused, ".loom/state.json"))).toBe(false);
    const exposed = makeProject([], `${EMBEDDED}address = "0.0.0.0:0"\nexpose = true\n`);
    const ok = await loom(["up", "--detach", ...FREE], exposed);
    expect(ok.code, ok.all).toBe(0);
    expect(ok.err).toContain("read every event, without TLS");
  });

  test("loom __bridge without LOOM_BRIDGE_ADDR listens on loopback; as PID 1 it ends on SIGTERM", async () => {
    if (!Bun.which("unshare") || process.getuid?.() !== 0) return console.warn("skipped: needs unshare as root");
    const script = `ip link set lo up && exec "$LOOM" __bridge`;
    const proc = Bun.spawn(["unshare", "--pid", "--fork", "--net", "--mount-proc", "sh", "-c", script], {
      cwd: tempDir(),
      env: cleanEnv({ LOOM: ensureBuilt() }),
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      let out = "";
      void (async () => {
        for await (const c of proc.stdout as ReadableStream<Uint8Array>) out += new TextDecoder().decode(c);
      })();
      await poll("the Bridge listening", () => out.includes("listening on"));
      expect(out).toContain("listening on 127.0.0.1:50051");
      const child = Number(readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(" ")[0]);
      expect(readFileSync(`/proc/${child}/status`, "utf8")).toMatch(/NSpid:\s+\d+\s+1\n/);
      process.kill(child, "SIGTERM");
      await poll("PID 1 gone on SIGTERM", () => !isAlive(child), 3_000);
    } finally {
      proc.kill("SIGKILL");
    }
  });

  test("loom down --all from another pid namespace leaves a live project and its ledger alone", async () => {
    if (!Bun.which("unshare") || process.getuid?.() !== 0) return console.warn("skipped: needs unshare as root");
    const state = tempDir();
    const root = makeProject([], EMBEDDED);
    await up(root, { XDG_STATE_HOME: state });
    const proc = Bun.spawn(["unshare", "--pid", "--fork", "--mount-proc", ensureBuilt(), "down", "--all", "--grace", "1"], {
      cwd: tempDir(),
      env: cleanEnv({ XDG_STATE_HOME: state }),
      stdout: "pipe",
      stderr: "pipe",
    });
    const err = await new Response(proc.stderr).text();
    await proc.exited;
    expect(err).toContain("another pid namespace");
    expect(existsSync(join(root, ".loom/state.json"))).toBe(true);
    expect((await loom(["status"], root)).code).toBe(0);
    expect((await loom(["down", "--all", "--grace", "1"], tempDir(), { XDG_STATE_HOME: state })).code).toBe(0);
    expect(existsSync(join(root, ".loom/state.json"))).toBe(false);
  });

  test("a SIGKILLed supervisor's descendant that left its group is stopped by the watchdog, not at the next loom down", async () => {
    const root = makeProject(["escape.py"], EMBEDDED);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const [escaped] = (await poll("escaped.pid", () => existsSync(join(root, "escaped.pid")) && readFileSync(join(root, "escaped.pid"), "utf8"))).split(" ").map(Number);
    const ledger = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
    process.kill(ledger.supervisor.pid, "SIGKILL");
    await poll("the escaped descendant stopped", () => !isAlive(escaped!), 10_000);
  });

  test("a project path too long for a socket address still has its control channel and agent socket", async () => {
    const root = makeProject(["idle.py"], EMBEDDED);
    const deep = join(root, "x".repeat(60), "y".repeat(60));
    mkdirSync(deep, { recursive: true });
    Bun.spawnSync(["cp", "-r", join(root, "loom.toml"), join(root, "agents"), deep]);
    const run = await loom(["run", "--detach", ...FREE], deep);
    expect(run.code, run.all).toBe(0);
    const ledger = JSON.parse(readFileSync(join(deep, ".loom/state.json"), "utf8"));
    expect(ledger.bridge.socket.length).toBeLessThan(100);
    const restart = await loom(["restart", "idle"], deep);
    expect(restart.code, restart.all).toBe(0);
    expect(restart.all).toContain("idle: restarted");
    expect((await loom(["ping", "-c", "1"], deep)).code).toBe(0);
    expect((await loom(["down"], deep)).code).toBe(0);
  });

  test("an agent file named with a newline cannot forge loom's lines", async () => {
    const root = makeProject([], EMBEDDED, { "agents/ok.py": "import time\ntime.sleep(60)\n", "agents/x\nerror: forged by a file name.py": "print(1)\n" });
    const r = await loom(["run", "--detach", ...FREE], root);
    expect(r.code).toBe(2);
    expect(r.all.split("\n").some((l) => l.startsWith("error: forged"))).toBe(false);
  });
});
