/**
 * TOML parsing with Bun's native parser. `Bun.TOML.parse` does not say where an error is, but Bun's
 * module loader does, so on failure the same text is imported once to get its line and column: from
 * a private copy with a plain name (a `?` or `#` in the project's path would otherwise be read as a
 * query or a fragment, and the module cache must never answer for an edited file).
 */
import { randomHex } from "../system/random";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import { LoomError } from "../errors";
import { writePrivateFile } from "../files/private";

interface BuildPosition {
  line: number;
  column: number;
  lineText?: string;
}

async function locateSyntaxError(source: string): Promise<{ message: string; position?: BuildPosition }> {
  const copy = join(tmpdir(), `loom-toml-check-${randomHex(8)}.toml`);
  try {
    writePrivateFile(copy, source);
    await import(copy, { with: { type: "toml" } });
    return { message: "unknown TOML error" };
  } catch (error) {
    const e = error as { message?: string; position?: BuildPosition };
    return { message: (e.message ?? String(error)).replaceAll(copy, "loom.toml"), position: e.position ?? undefined };
  } finally {
    rmSync(copy, { force: true });
  }
}

/** Deeper than any real configuration; deeper values would only exhaust loom's stack later. */
export const MAX_NESTING = 64;

function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    max = Math.max(max, d);
    if (max > MAX_NESTING) return max;
    if (v && typeof v === "object") for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function tooDeep(file: string, cause?: unknown): LoomError {
  return new LoomError("CONFIG", `${file}: values are nested more than ${MAX_NESTING} levels deep`, {
    hint: "is this the right file? loom.toml needs a few levels at most",
    cause,
  });
}

export async function parseTomlFile(file: string, source: string): Promise<Record<string, unknown>> {
  let parsed: Record<string, unknown>;
  try {
    parsed = Bun.TOML.parse(source) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(file, error); // the parser's own stack ran out
    const { message, position } = await locateSyntaxError(source);
    const plainMessage = message === "unknown TOML error" ? String((error as Error).message).replace(/^TOML Parse error: /, "") : message;
    const where = position ? `${file}:${position.line}:${position.column}` : file;
    const details: string[] = [];
    if (position?.lineText !== undefined) {
      details.push(`${String(position.line).padStart(4)} | ${position.lineText}`);
      details.push(`${" ".repeat(4)} | ${" ".repeat(Math.max(0, position.column - 1))}^`);
    }
    throw new LoomError("CONFIG", `${where}: TOML syntax error: ${plainMessage}`, {
      hint: "fix the line shown; loom.toml follows TOML 1.0 (https://toml.io)",
      details,
      cause: error,
    });
  }
  if (depthOf(parsed) > MAX_NESTING) throw tooDeep(file);
  return parsed;
}
