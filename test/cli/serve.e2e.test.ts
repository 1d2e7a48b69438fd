/** `loom serve`: the embedded Bridge in the foreground, from the project's configuration; SIGTERM ends it. */
import { expect, test } from "bun:test";
import { freePort } from "../../src/net/ports";
import { grpcHeartbeat } from "../../src/net/health";
import { LoomProcess, makeProject, poll } from "../helpers/runtime";

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
