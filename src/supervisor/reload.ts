/**
 * `loom run --watch`, decided without doing anything (pure, so its tests need no process): which
 * agents a batch of changed files concerns, and what a new plan of loom.toml and .env changes.
 */
import { dirname, relative } from "pathe";
import type { ProcessSpec } from "../proc/spec";

/** The files whose change reloads the configuration. */
export const CONFIG_FILES = ["loom.toml", ".env"];

/**
 * The agents `paths` (relative to the project) concern: an agent's own file; a file beside or
 * under it that is not another agent (code it may import); a file its `watch` globs match.
 */
export function agentsTouched(paths: readonly string[], agents: readonly ProcessSpec[], root: string): ProcessSpec[] {
  const sources = new Set(agents.flatMap((a) => (a.source ? [relative(root, a.source)] : [])));
  return agents.filter((agent) => {
    const own = agent.source ? relative(root, agent.source) : undefined;
    const dir = own !== undefined ? dirname(own) : undefined;
    return paths.some(
      (p) => p === own || (dir !== undefined && !sources.has(p) && (dir === "." || p.startsWith(`${dir}/`))) || (agent.watch ?? []).some((glob) => new Bun.Glob(glob).match(p)),
    );
  });
}

/** Two plans of one process run the same thing (so a reload leaves it running). */
export function samePlan(a: ProcessSpec, b: ProcessSpec): boolean {
  return JSON.stringify([a.argv, a.cwd, a.env, a.privateEnv, a.restart, a.watch]) === JSON.stringify([b.argv, b.cwd, b.env, b.privateEnv, b.restart, b.watch]);
}

export interface PlanChanges {
  /** The runtime's new plan, when it differs. */
  runtime?: ProcessSpec;
  start: ProcessSpec[];
  restart: ProcessSpec[];
  stop: string[];
}

/**
 * What changes from the running plan to `next`: the runtime when its plan differs, agents that are
 * new (start), changed (restart) or gone (stop). Agents held by `loom stop` are left as they are.
 */
/**
 * The runtimes differ only in the agent files of agents/ that the Bridge's fs tools protect
 * (LOOM_FS_PROTECT): an agent file that came or went does not restart the Bridge, as its tools
 * cannot write in agents/ anyway (`[bridge] writable` never includes it; bridge/tools/fs.ts).
 */
function onlyAgentsProtected(a: ProcessSpec, b: ProcessSpec): boolean {
  const list = (s: ProcessSpec) => new Set<string>(JSON.parse(s.env.LOOM_FS_PROTECT ?? "[]"));
  const [before, after] = [list(a), list(b)];
  const changed = [...before, ...after].filter((f) => before.has(f) !== after.has(f));
  const strip = (s: ProcessSpec) => ({ ...s, env: { ...s.env, LOOM_FS_PROTECT: "" } });
  return changed.length > 0 && changed.every((f) => /^agents\/[^/]+$/.test(f)) && samePlan(strip(a), strip(b));
}

export function planChanges(running: { runtime: ProcessSpec; agents: ProcessSpec[]; held: Set<string> }, next: { runtime: ProcessSpec; agents: ProcessSpec[] }): PlanChanges {
  const current = new Map(running.agents.map((a) => [a.name, a]));
  const planned = new Set(next.agents.map((a) => a.name));
  return {
    runtime: samePlan(running.runtime, next.runtime) || onlyAgentsProtected(running.runtime, next.runtime) ? undefined : { ...next.runtime, name: running.runtime.name },
    start: next.agents.filter((a) => !current.has(a.name)),
    restart: next.agents.filter((a) => current.has(a.name) && !running.held.has(a.name) && !samePlan(current.get(a.name)!, a)),
    stop: running.agents.filter((a) => !planned.has(a.name) && !running.held.has(a.name)).map((a) => a.name),
  };
}
