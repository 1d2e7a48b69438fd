/**
 * Warnings for keys loom does not know but nearly does ("prot" for "port"): unknown keys are kept
 * (agents and upstream's SDK read their own), so a typo would otherwise pass in silence.
 */
import { KNOWN_KEYS } from "./defaults";

export interface ConfigIssue {
  path: string[];
  message: string;
  /** Point at the key itself rather than its value (unknown keys). */
  atKey?: boolean;
}

type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** Edit distance where swapping two neighbours counts as one edit ("prot" -> "port"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The candidate `word` most nearly is (a typo of), if any: at most 2 edits, and a third of its length. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(c, word);
    if (d <= Math.min(2, Math.max(1, Math.floor(c.length / 3))) && d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function typosIn(table: unknown, known: readonly string[], path: string[], out: ConfigIssue[]): void {
  if (!isTable(table)) return;
  for (const key of Object.keys(table)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => editDistance(k, key) <= Math.min(2, Math.floor(k.length / 3)));
    if (near) out.push({ path: [...path, key], atKey: true, message: `unknown key \`${[...path, key].join(".")}\`: did you mean \`${near}\`?` });
  }
}

/** Near-miss keys at the top, in [bridge], [dashboard], [telemetry], and each [llm.*], [mcp.*] and [agents.*]. */
export function typoWarnings(raw: Table): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  typosIn(raw, KNOWN_KEYS[""]!, [], out);
  typosIn(raw.bridge, KNOWN_KEYS.bridge!, ["bridge"], out);
  typosIn(raw.dashboard, KNOWN_KEYS.dashboard!, ["dashboard"], out);
  typosIn(raw.telemetry, KNOWN_KEYS.telemetry!, ["telemetry"], out);
  typosIn(raw.memory, KNOWN_KEYS.memory!, ["memory"], out);
  for (const section of ["llm", "mcp", "agents"] as const)
    if (isTable(raw[section])) for (const [name, table] of Object.entries(raw[section])) typosIn(table, KNOWN_KEYS[section]!, [section, name], out);
  return out;
}
