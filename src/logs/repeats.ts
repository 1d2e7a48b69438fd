/**
 * What `loom run` prints of a process that keeps failing the same way: its output once, then, for
 * each run that only repeats the last one's lines, one line saying so (pm2 and process-compose
 * print the whole cascade every time: a 20-line parse error five times). A run's lines that the
 * last run did not print are shown as they come. The log files keep everything.
 */
const KEPT_LINES = 500;

export class RepeatFilter {
  /** Per process: the lines of its last run, the lines of this one, and how many were held back. */
  private readonly last = new Map<string, Set<string>>();
  private readonly current = new Map<string, string[]>();
  private readonly held = new Map<string, number>();

  /** A run of `name` begins (`restarted`: not its first): its lines are compared with the last run's. */
  begin(name: string, restarted: boolean): void {
    const previous = this.current.get(name);
    if (restarted && previous?.length) this.last.set(name, new Set(previous));
    else this.last.delete(name);
    this.current.set(name, []);
    this.held.set(name, 0);
  }

  /** Whether to print `line` of `name` now. */
  show(name: string, line: string): boolean {
    const lines = this.current.get(name);
    if (lines && lines.length < KEPT_LINES) lines.push(line);
    if (!this.last.get(name)?.has(line)) return true;
    this.held.set(name, (this.held.get(name) ?? 0) + 1);
    return false;
  }

  /** A run of `name` ended: what to say of the lines held back, if any were. */
  end(name: string): string | undefined {
    const n = this.held.get(name) ?? 0;
    this.held.set(name, 0);
    return n ? `(the same ${n} line${n === 1 ? "" : "s"} as its last run, not repeated; \`loom logs ${name}\` has them)` : undefined;
  }
}
