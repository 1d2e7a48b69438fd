/**
 * Agents against a Bridge elsewhere: `loom run --bridge HOST:PORT` with another loom project's
 * Bridge as the remote one, that Bridge going away and coming back; `[bridge] runtime = "remote"`
 * over TLS with a CA file, against a Heartbeat server with a self-signed certificate.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "pathe";
import { grpcHeartbeat } from "../../src/net/health";
import { loom, makeProject, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FAST = { LOOM_LIVENESS_INTERVAL_MS: "200" };

async function status(root: string) {
  const r = await loom(["status", "--json"], root);
  return { code: r.code, ...(JSON.parse(r.out) as { processes: { name: string; state: string; health?: string; pid?: number }[]; runtime?: string }) };
}

describe("agents against a remote Bridge", () => {
  test("run --bridge: no local runtime, agents get its address; it goes away (unreachable, agents kept) and comes back", async () => {
    const bridgeProject = makeProject([], 'runtime = "embedded"\n');
    const up = await loom(["up", "--detach", "--bridge-port", "0", "--dashboard-port", "0"], bridgeProject);
    expect(up.code).toBe(0);
    const address = /bridge\s+(\S+)/.exec(up.out)![1]!;
    const port = address.split(":").pop()!;

    const dump = tempDir();
    const agents = makeProject(["idle.py"]);
    const run = await loom(["run", "--detach", "--bridge", address], agents, { ...FAST, AGENT_ENV_DUMP: dump });
    expect(run.code).toBe(0);
    expect(run.err).toContain(`runtime: a remote Bridge at ${address} (nothing runs here)`);
    let s = await status(agents);
    expect(s.processes.find((p) => p.name === "bridge")).toMatchObject({ state: "running", health: "ok" });
    expect(s.processes.find((p) => p.name === "bridge")!.pid).toBeUndefined();
    const env = await poll("the agent's environment", () => {
      try {
        return JSON.parse(readFileSync(join(dump, "idle.json"), "utf8"));
      } catch {
        return undefined;
      }
    });
    expect(env.LOOM_BRIDGE_ADDR).toBe(address);
    const agentPid = s.processes.find((p) => p.name === "idle")!.pid;

    expect((await loom(["down"], bridgeProject)).code).toBe(0);
    await poll("the Bridge marked unreachable", async () => (await status(agents)).processes.find((p) => p.name === "bridge")!.state === "unreachable");
    s = await status(agents);
    expect(s.code).toBe(5); // like an unhealthy runtime
    expect(s.processes.find((p) => p.name === "idle")!.pid).toBe(agentPid); // the agents are kept

    expect((await loom(["up", "--detach", "--bridge-port", port, "--dashboard-port", "0"], bridgeProject)).code).toBe(0);
    await poll("the Bridge back", async () => (await status(agents)).processes.find((p) => p.name === "bridge")!.health === "ok");
    expect(readFileSync(join(agents, ".loom/logs/supervisor.log"), "utf8")).toContain(`the remote Bridge at ${address} answers again`);
    expect((await loom(["restart", "--runtime"], agents)).err).toContain("the Bridge runs elsewhere");
    expect((await loom(["down"], agents)).code).toBe(0);
    expect((await loom(["down"], bridgeProject)).code).toBe(0);

    // loom up starts a runtime: it offers no remote choice, and a project whose Bridge is remote is refused.
    const flag = await loom(["up", "--runtime", "remote"], agents);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("--runtime (remote). Expected one of: auto, native, embedded");
    writeFileSync(join(agents, "loom.toml"), readFileSync(join(agents, "loom.toml"), "utf8").replace("[bridge]\n", `[bridge]\nruntime = "remote"\naddress = "${address}"\n`));
    const refused = await loom(["up"], agents);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("loom up starts a local runtime, and this project's Bridge is a remote Bridge at");
  });

  test.skipIf(!Bun.which("openssl"))("TLS: https:// address, trusted through ca_file; without it the certificate is refused (exit 4)", async () => {
    const dir = tempDir();
    const made = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost",
      ],
      { cwd: dir, stdout: "ignore", stderr: "ignore" },
    );
    expect(made.exitCode).toBe(0);
    const cert = readFileSync(join(dir, "cert.pem"), "utf8");
    // A Bridge's Heartbeat over TLS (HTTP/2 with ALPN h2), answering grpc-status 0.
    const server = http2.createSecureServer({ key: readFileSync(join(dir, "key.pem")), cert });
    server.on("stream", (stream: http2.ServerHttp2Stream) => {
      stream.on("data", () => {});
      stream.on("end", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      expect((await grpcHeartbeat(`localhost:${port}`, 2_000, { ca: cert })).ok).toBe(true);
      const root = makeProject(["idle.py"], `runtime = "remote"\naddress = "https://localhost:${port}"\nca_file = "ca.pem"\n`, { "ca.pem": cert });
      const run = await loom(["run", "--detach"], root, FAST);
      expect(run.code).toBe(0);
      expect(run.err).toContain(`a remote Bridge at localhost:${port} over TLS`);
      expect((await status(root)).processes.find((p) => p.name === "bridge")).toMatchObject({ health: "ok" });
      const ping = await loom(["ping", "-c", "1"], root); // over TLS, trusting ca_file, as the supervisor does
      expect(ping.code).toBe(0);
      expect(ping.out).toContain(`heartbeat from https://localhost:${port}: seq=1`);
      expect((await loom(["ping", "-c", "1", "--address", `localhost:${port}`], root)).code).toBe(4); // plaintext to a TLS port
      // The clients' own gRPC (client/h2-grpc.ts) over TLS too: this server answers an empty ToolResult, TOOL_OK.
      expect(await loom(["call", "fs:list_dir", "{}", "--json"], root)).toMatchObject({ code: 0, out: expect.stringContaining('"status":"TOOL_OK"') });
      expect((await loom(["call", "fs:list_dir", "{}", "--address", `localhost:${port}`], root)).code).toBe(4);
      const doctor = await loom(["doctor"], root);
      expect(doctor.out).toContain(`a remote Bridge at localhost:${port} (TLS): its Heartbeat answers`);

      expect((await loom(["down"], root)).code).toBe(0);

      const untrusted = makeProject(["idle.py"], `runtime = "remote"\naddress = "https://localhost:${port}"\n`);
      writeFileSync(join(untrusted, "loom.toml"), readFileSync(join(untrusted, "loom.toml"), "utf8").replace("timeout_sec = 20", "timeout_sec = 1"));
      const refused = await loom(["run", "--detach"], untrusted, FAST);
      expect(refused.code).toBe(4);
      const untrustedDoctor = await loom(["doctor"], untrusted);
      expect(untrustedDoctor.out).toMatch(/FAIL\s+runtime\s+a remote Bridge at localhost:\d+ \(TLS\): .*(certificate|self.signed)/i);
      expect(untrustedDoctor.out).not.toContain("bridge port"); // nothing is to listen here
      expect(refused.err).toMatch(new RegExp(`the remote Bridge at localhost:${port} did not answer its Heartbeat within 1s \\(last: .*(certificate|self.signed)`, "i"));
    } finally {
      server.close();
    }
  });
});
