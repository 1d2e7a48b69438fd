/** `--watch` decided without processes: which agents a change concerns, what a new plan changes. */
import { describe, expect, test } from "bun:test";
import type { ProcessSpec } from "../../src/proc/spec";
import { agentsTouched, planChanges } from "../../src/supervisor/reload";

const root = "/p";
const agent = (name: string, source?: string, extra: Partial<ProcessSpec> = {}): ProcessSpec => ({
  name,
  kind: "agent",
  argv: ["python3", source ?? name],
  cwd: root,
  env: {},
  restart: "on-failure",
  ...(source ? { source: `${root}/${source}` } : {}),
  ...extra,
});
const names = (specs: ProcessSpec[]) => specs.map((s) => s.name);

describe("which agents a change of files concerns", () => {
  const a = agent("a", "agents/a.py");
  const b = agent("b", "agents/b.py", { watch: ["prompts/**"] });
  const main = agent("main", "main.py");
  test("its own file; a module beside it that is not another agent; its watch globs", () => {
    expect(names(agentsTouched(["agents/a.py"], [a, b], root))).toEqual(["a"]);
    expect(names(agentsTouched(["agents/helper.py"], [a, b], root))).toEqual(["a", "b"]);
    expect(names(agentsTouched(["prompts/system.md"], [a, b], root))).toEqual(["b"]);
    expect(names(agentsTouched(["README.md"], [a, b], root))).toEqual([]);
    expect(names(agentsTouched(["lib/x.py"], [main], root))).toEqual(["main"]); // under a root entry script's directory
  });
});

describe("what a new plan changes", () => {
  const runtime: ProcessSpec = { name: "core", kind: "runtime", argv: ["loom"], cwd: root, env: { A: "1" }, restart: "always" };
  test("a changed runtime, new, changed and gone agents; held ones are left alone", () => {
    const running = { runtime, agents: [agent("a"), agent("b"), agent("c"), agent("held")], held: new Set(["held"]) };
    const next = {
      runtime: { ...runtime, name: "bridge", env: { A: "2" } },
      agents: [agent("a"), agent("b", undefined, { env: { X: "1" } }), agent("d"), agent("held", undefined, { env: { Y: "1" } })],
    };
    const changes = planChanges(running, next);
    expect(changes.runtime).toMatchObject({ name: "core", env: { A: "2" } }); // it keeps its running name
    expect(names(changes.start)).toEqual(["d"]);
    expect(names(changes.restart)).toEqual(["b"]);
    expect(changes.stop).toEqual(["c"]);
    expect(planChanges(running, { runtime, agents: running.agents })).toEqual({ runtime: undefined, start: [], restart: [], stop: [] });
  });
});
