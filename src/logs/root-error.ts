/**
 * The lines of a failed process's output that say why: the first compiler diagnostic with its
 * source line when there are several (Bun's parser, tsc: the rest is often a cascade of the
 * first), else the last lines (a Python traceback ends with its cause).
 */
const DIAGNOSTIC = /^(error|SyntaxError)(:| TS\d+:)/;

export interface RootError {
  lines: string[];
  /** `file:line:col` of the first diagnostic, when the output names it. */
  where?: string;
  /** Diagnostics after the first. */
  more: number;
  /** Whether `lines` is the first diagnostic (a syntax error) rather than the last lines. */
  diagnostic: boolean;
}

export function rootError(output: string[], tail: number): RootError {
  const diagnostics = output.flatMap((l, i) => (DIAGNOSTIC.test(l.trim()) ? [i] : []));
  const first = diagnostics[0];
  if (first === undefined) return { lines: output.slice(-tail), more: 0, diagnostic: false };
  const lines = output.slice(Math.max(0, first - 2), first + 2).filter((l, i, a) => l.trim() || i < a.length - 1);
  const where = /\bat (\S+:\d+:\d+)/.exec(output[first + 1] ?? "")?.[1];
  return { lines, where, more: diagnostics.length - 1, diagnostic: true };
}

/** The report's lines and hint for `root`, as the supervisor and `loom run -d` say them. */
export function describeRootError(root: RootError, name: string): { details: string[]; hint?: string } {
  if (!root.diagnostic) return { details: root.lines.length ? ["last output:", ...root.lines.map((l) => `  ${l}`)] : [] };
  const more = root.more ? [`(and ${root.more} more error${root.more === 1 ? "" : "s"} after it, often caused by the first)`] : [];
  return {
    details: ["the first error:", ...root.lines.map((l) => `  ${l}`), ...more],
    hint: `a syntax error${root.where ? ` at ${root.where}` : ""}: fix it and save (\`loom run --watch\` restarts ${name}); \`loom doctor\` checks every agent without running it`,
  };
}
