import { describe, expect, test } from "bun:test";
import { AgentDirectory } from "../../src/bridge/agents";
import { MAX_IDLE_REGISTRATIONS, MAX_REGISTRATION_BYTES, REGISTRATION_TTL_MS } from "../../src/bridge/limits";

describe("agent registrations", () => {
  test("a later registration replaces topics; a stream reads them when it opens; one with no stream expires", () => {
    let now = 0;
    const dir = new AgentDirectory(() => now);
    dir.register("a", ["x"], [], 10);
    dir.register("a", ["y", "z"], [], 10);
    expect(dir.attach("a")).toEqual(["y", "z"]);
    expect(dir.attach("nobody")).toEqual([]);
    now += REGISTRATION_TTL_MS * 2;
    dir.sweep();
    expect(dir.connected("a")).toBe(true); // a stream is open: kept
    dir.detach("a");
    now += REGISTRATION_TTL_MS - 1;
    dir.sweep();
    expect(dir.byId.has("a")).toBe(true); // a reconnect within the TTL finds it
    now += 1;
    dir.sweep();
    expect(dir.byId.has("a")).toBe(false);
  });

  test("registrations without a stream are capped (the oldest go) and one over the byte limit is refused", () => {
    const dir = new AgentDirectory(() => 0);
    for (let i = 0; i < MAX_IDLE_REGISTRATIONS + 500; i++) dir.register(`ghost-${i}`, ["t"], [], 10);
    expect(dir.byId.size).toBe(MAX_IDLE_REGISTRATIONS);
    expect(dir.byId.has("ghost-0")).toBe(false);
    expect(dir.byId.has(`ghost-${MAX_IDLE_REGISTRATIONS + 499}`)).toBe(true);
    expect(dir.register("big", ["t"], [], MAX_REGISTRATION_BYTES + 1)).toContain("over the");
    expect(dir.byId.has("big")).toBe(false);
  });
});
