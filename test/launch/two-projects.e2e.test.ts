/**
 * Two projects at once with loom's default ports, as two Vite dev servers run side by side: the
 * second finds 50051 and 3030 taken, moves to the next free ports, says so, and its own
 * `loom ping`, `pub` and `status` reach its own Bridge (through its ledger), not the first one's.
 */
import { describe, expect, test } from "bun:test";
import { loom, makeProject } from "../helpers/runtime";

describe("two projects with the default ports", () => {
  test("the second moves to free ports, says so, and its clients reach its own Bridge", async () => {
    const first = makeProject(["echo.ts"], 'runtime = "embedded"\n');
    const second = makeProject(["echo.ts"], 'runtime = "embedded"\n');
    try {
      expect((await loom(["run", "--detach", "--wait-agents"], first)).code).toBe(0);
      const started = await loom(["run", "--detach", "--wait-agents"], second);
      expect(started.code).toBe(0);
      const a = JSON.parse((await loom(["status", "--json"], first)).out) as { bridge: string; dashboard: string };
      const b = JSON.parse((await loom(["status", "--json"], second)).out) as { bridge: string; dashboard: string };
      expect(b.bridge).not.toBe(a.bridge);
      expect(b.dashboard).not.toBe(a.dashboard);
      if (a.bridge.endsWith(":50051")) expect(started.err).toMatch(/the Bridge's default port 50051 is in use.*: using \d+/);
      if (a.dashboard.endsWith(":3030")) expect(started.err).toMatch(/the dashboard's default port 3030 is in use.*: using \d+/);

      expect((await loom(["ping", "--count", "1"], second)).code).toBe(0);
      expect((await loom(["pub", "echo.in", "{}", "--reply"], second)).code).toBe(0);
      // The first project's Bridge never saw the second's clients.
      const topology = (await (await fetch(`${a.dashboard}/api/topology`)).json()) as { agents: { id: string }[] };
      expect(topology.agents.map((x) => x.id).filter((id) => id.startsWith("loom-pub-"))).toEqual([]);
      const theirs = (await (await fetch(`${b.dashboard}/api/topology`)).json()) as { agents: { id: string }[] };
      expect(theirs.agents.some((x) => x.id.startsWith("loom-pub-"))).toBe(true);
    } finally {
      await loom(["down"], second);
      await loom(["down"], first);
    }
  });

  test('`address = "127.0.0.1:0"` in loom.toml picks a free port, as --bridge-port 0 does', async () => {
    const root = makeProject(["echo.ts"], 'runtime = "embedded"\naddress = "127.0.0.1:0"\n[dashboard]\nport = 0\n');
    try {
      const r = await loom(["run", "--detach", "--wait-agents"], root);
      expect(r.code).toBe(0);
      const s = JSON.parse((await loom(["status", "--json"], root)).out) as { bridge: string; dashboard: string };
      expect(s.bridge).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s.bridge).not.toMatch(/:0$/);
      expect(s.dashboard).not.toMatch(/:0$/);
      expect((await loom(["ping", "--count", "1"], root)).code).toBe(0);
    } finally {
      await loom(["down"], root);
    }
  });
});
