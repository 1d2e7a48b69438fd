/**
 * One generated input through dist/loom as a user runs it: a fresh process with a deadline, its
 * exit code and whether it is a bug. A bug is exit 1 where loom documents none (docs/supervision.md
 * "Exit codes": `doctor` says 1 for "cannot work", `call` for a tool's error), the "this is a bug
 * in loom" hint whatever the code, a signal, or no exit before the deadline (a hang).
 */
import { LOOM } from "../lib";

export const BUG_HINT = "this is a bug in loom";

export interface Outcome {
  /** The exit code, `signal:NAME`, or `hang`. */
  result: string;
  bug: boolean;
  stderr: string;
}

/** A throwaway user the runs take when the bench runs as root (see sandboxUser). */
export interface RunAs {
  uid: number;
  gid: number;
}

export async function runOnce(argv: string[], cwd: string, env: Record<string, string>, deadlineMs: number, as?: RunAs): Promise<Outcome> {
  // setpriv execs loom itself (no process in between), so a hang's SIGKILL reaches it.
  const prefix = as ? ["setpriv", `--reuid=${as.uid}`, `--regid=${as.gid}`, "--clear-groups", "--"] : [];
  const proc = Bun.spawn([...prefix, LOOM, ...argv], { cwd, env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    proc.kill("SIGKILL");
  }, deadlineMs);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (hung) return { result: "hang", bug: true, stderr };
  if (proc.signalCode) return { result: `signal:${proc.signalCode}`, bug: true, stderr };
  const bug = stderr.includes(BUG_HINT) || code === 1; // no command exits 1 by design (problems found are 5)
  return { result: String(code), bug, stderr };
}

/**
 * Generated command lines name any path (`loom init /`, `export --out /`): as root they would
 * write there. A throwaway system user, removed by `remove`, owns only the bench's directory.
 * Undefined when not root: the user's own permissions already keep the runs out of other places.
 */
export function sandboxUser(workDir: string): (RunAs & { remove(): void }) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = `loomfuzz${process.pid}`;
  const add = Bun.spawnSync(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], { stderr: "pipe" });
  if (add.exitCode !== 0) throw new Error(`useradd ${name}: ${add.stderr}`);
  const id = (flag: string) => Number(Bun.spawnSync(["id", flag, name]).stdout.toString());
  Bun.spawnSync(["chown", "-R", `${name}:`, workDir]);
  return { uid: id("-u"), gid: id("-g"), remove: () => void Bun.spawnSync(["userdel", name]) };
}

/** Runs `work` for every item, `concurrency` at a time, in order of the items. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

/** Counts of results per category, and the inputs that were bugs. */
export class Tally {
  readonly counts = new Map<string, Map<string, number>>();
  readonly bugs: { category: string; input: unknown; result: string; detail: string }[] = [];
  readonly ms = new Map<string, number>();
  /** The first detail seen for each result, to show what a refusal says. */
  readonly examples = new Map<string, string>();

  add(category: string, result: string, bug: boolean, input: unknown, detail = ""): void {
    const row = this.counts.get(category) ?? new Map<string, number>();
    row.set(result, (row.get(result) ?? 0) + 1);
    this.counts.set(category, row);
    if (detail && !this.examples.has(`${category} ${result}`)) this.examples.set(`${category} ${result}`, detail.slice(0, 200));
    if (bug) this.bugs.push({ category, input, result, detail: detail.slice(-600) });
  }

  total(category?: string): number {
    let n = 0;
    for (const [c, row] of this.counts) if (!category || c === category) for (const v of row.values()) n += v;
    return n;
  }

  async timed(category: string, work: () => Promise<void>): Promise<void> {
    const t = performance.now();
    await work();
    this.ms.set(category, (this.ms.get(category) ?? 0) + performance.now() - t);
  }
}
