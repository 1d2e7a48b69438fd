/** `loom serve`: the embedded Bridge in the foreground, from the project's configuration; SIGTERM ends it. */
import { expect, test } from "bun:test";
import { freePort } from "../../src/net/ports";
import { grpcHeartbeat } from "../../src/net/health";
import { LoomProcess, makeProject, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

test("serves loom.toml's address with its tools' settings, answers Heartbeats, stops on SIGTERM", async () => {
  const port = await freePort("127.0.0.1");
  const root = makeProject([], `address = "127.0.0.1:${port}"\n[dashboard]\nenabled = false\n`);
  const serve = new LoomProcess(["serve"], root);
  await poll("the Bridge", async () => (await grpcHeartbeat(`127.0.0.1:${port}`, 500)).ok);
  expect(serve.out).toContain(`listening on 127.0.0.1:${port}`);
  serve.signal("SIGTERM");
  expect(await serve.exited).toBe(143);
  const refused = new LoomProcess(["serve", "--address", "0.0.0.0:0"], root);
  expect(await refused.exited).toBe(2);
  expect(refused.err).toContain("0.0.0.0:0 is not a loopback address");
  expect(refused.err).toContain("--expose");
});

test("a drop-in for upstream's loom-bridge-server: its LOOM_BRIDGE_ADDR and LOOM_DASHBOARD* variables, no dashboard unless asked; a taken address is exit 4", async () => {
  const dir = tempDir(); // no loom.toml: every default, as the binary runs in a container
  const [bridgePort, dashPort] = [await freePort("127.0.0.1"), await freePort("127.0.0.1")];
  const plain = new LoomProcess(["serve"], dir, { LOOM_BRIDGE_ADDR: `127.0.0.1:${bridgePort}` });
  await poll("the Bridge", async () => (await grpcHeartbeat(`127.0.0.1:${bridgePort}`, 500)).ok);
  await poll("its first lines", () => plain.out.includes("listening on"));
  expect(plain.out).not.toContain("dashboard on"); // as upstream's: LOOM_DASHBOARD is not true

  const second = new LoomProcess(["serve"], dir, { LOOM_BRIDGE_ADDR: `127.0.0.1:${bridgePort}` });
  expect(await second.exited).toBe(4);
  expect(second.err).toContain("cannot listen");
  expect(second.err).not.toContain("bug");
  plain.signal("SIGTERM");
  expect(await plain.exited).toBe(143);

  const full = new LoomProcess(["serve"], dir, { LOOM_BRIDGE_ADDR: `127.0.0.1:${bridgePort}`, LOOM_DASHBOARD: "true", LOOM_DASHBOARD_PORT: String(dashPort) });
  await poll("the dashboard", () => full.out.includes(`dashboard on http://127.0.0.1:${dashPort}`));
  expect((await fetch(`http://127.0.0.1:${dashPort}/api/metrics`)).status).toBe(200);
  full.signal("SIGTERM");
  expect(await full.exited).toBe(143);
});
