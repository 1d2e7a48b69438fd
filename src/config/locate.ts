/**
 * Finds the line and column where a key path is written in a TOML source, so that errors found
 * after parsing (wrong types, bad values) can still point at the file. A line scanner, not a
 * parser: it follows `[table]` headers and `key =` lines and gives up (undefined) otherwise.
 */

export interface SourceLocation {
  line: number;
  /** Column of the value (or of the header, for a table). */
  column: number;
  /** Column of the key (or of the header, for a table). */
  keyColumn: number;
  lineText: string;
}

function splitKey(key: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:\\.|[^"\\])*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/y;
  while (re.lastIndex < key.length) {
    const m = re.exec(key);
    if (!m) break;
    parts.push(m[1] ?? m[2] ?? m[3] ?? "");
  }
  return parts;
}

const HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/;
const ASSIGN = /^(\s*)((?:"(?:\\.|[^"\\])*"|'[^']*'|[A-Za-z0-9_.\s'"-]+?))\s*=/;

/** Location of `path` (e.g. ["dashboard", "port"]) in `source`, or of its nearest written parent. */
export function locateKey(source: string, path: readonly string[]): SourceLocation | undefined {
  const lines = source.split(/\r?\n/);
  const want = path.join("\0");
  let table: string[] = [];
  let best: SourceLocation | undefined;
  let bestDepth = 0;
  lines.forEach((text, index) => {
    const header = HEADER.exec(text);
    if (header) {
      table = splitKey(header[1]!);
      const depth = table.length;
      if (depth > bestDepth && want.startsWith(table.join("\0")) && (want.length === table.join("\0").length || want[table.join("\0").length] === "\0")) {
        best = { line: index + 1, column: text.indexOf("[") + 1, keyColumn: text.indexOf("[") + 1, lineText: text };
        bestDepth = depth;
      }
      return;
    }
    const assign = ASSIGN.exec(text);
    if (!assign) return;
    const full = [...table, ...splitKey(assign[2]!)];
    const joined = full.join("\0");
    if (joined === want) {
      const valueAt = text.indexOf("=", assign[0].length - 1) + 1;
      const column = valueAt + (text.slice(valueAt).length - text.slice(valueAt).trimStart().length) + 1;
      best = { line: index + 1, column, keyColumn: assign[1]!.length + 1, lineText: text };
      bestDepth = Number.POSITIVE_INFINITY;
    } else if (full.length > bestDepth && want.startsWith(joined + "\0")) {
      best = { line: index + 1, column: assign[1]!.length + 1, keyColumn: assign[1]!.length + 1, lineText: text };
      bestDepth = full.length;
    }
  });
  return best;
}
