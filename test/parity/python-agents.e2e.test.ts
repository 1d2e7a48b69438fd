/**
 * What an agent written for upstream can observe of the embedded Bridge (rows 1–5 and 8 of the
 * upstream-parity issue), by a Python client on Debian's grpcio over the agents' Unix socket:
 * test/fixtures/parity_probe.py.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "pathe";
import { DEBIAN_PYTHON, makePythonStubs, pythonGrpcReady } from "../../scripts/python-stubs";
import { loom, makeProject } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

describe("an upstream agent's view of the embedded Bridge", () => {
  test.skipIf(!pythonGrpcReady())("deliveries per subscription, metadata, two streams of one id, no loss, Heartbeat, error texts", async () => {
    const root = makeProject([], 'runtime = "embedded"\n');
    expect((await loom(["up", "--detach", "--bridge-port", "0", "--dashboard-port", "0"], root)).code).toBe(0);
    const socket = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8")).bridge.socket;
    const stubs = makePythonStubs(tempDir());
    const probe = Bun.spawn([DEBIAN_PYTHON, join(import.meta.dir, "../fixtures/parity_probe.py"), `unix:${socket}`], {
      env: { PATH: process.env.PATH, PYTHONPATH: stubs },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
    });
    const [out, err, code] = await Promise.all([new Response(probe.stdout).text(), new Response(probe.stderr).text(), probe.exited]);
    expect(code, err).toBe(0);
    const seen = JSON.parse(out);
    expect(seen.row1_topics).toEqual(["probe.*", "probe.x"]);
    expect(seen.row2_metadata).toMatchObject({ thread_id: "e1", correlation_id: "e1", sender: "", ttl: "16", hop: "0" });
    expect(seen.row2_metadata.ts).toMatch(/^\d{13}$/);
    expect(seen.row2_kept).toMatchObject({ "loom.reply_to": "agent.publisher.replies", thread_id: "t9", correlation_id: "t9" });
    expect(seen.row3_first_after_second_left).toEqual(["a", "b"]);
    expect(seen.row4_received).toBe(3000);
    expect(seen.row4_in_order).toBe(true);
    expect(seen.row5_heartbeat).toBe(12345);
    expect(seen.row8_bad_json).toEqual(["TOOL_INVALID_ARGUMENTS", "INVALID_ARGUMENTS", "key must be a string at line 1 column 2"]);
    expect(seen.row8_empty_id).toBe("agent_id cannot be empty");
    expect(seen.row8_saveplan_no_plan).toEqual(["INTERNAL", "Failed to save plan: Agent error: Plan is required"]);
    expect(seen.row8_append_no_event).toEqual(["INVALID_ARGUMENT", "Event is required"]);
    expect(seen.row8_retrieve_k0).toBe(1);
    expect((await loom(["down"], root)).code).toBe(0);
  });
});
