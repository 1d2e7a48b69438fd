/**
 * TOML parsing with Bun's native parser. `Bun.TOML.parse` does not say where an error is, but Bun's
 * module loader does, so on failure the file is imported once to get its line and column.
 */
import { LoomError } from "../errors";

let importNonce = 0;

interface BuildPosition {
  line: number;
  column: number;
  lineText?: string;
}

async function locateSyntaxError(file: string): Promise<{ message: string; position?: BuildPosition }> {
  try {
    // A fresh query string per attempt: the module cache must not answer for an edited file.
    await import(`${file}?loom-config-check=${++importNonce}`, { with: { type: "toml" } });
    return { message: "unknown TOML error" };
  } catch (error) {
    const e = error as { message?: string; position?: BuildPosition };
    return { message: e.message ?? String(error), position: e.position ?? undefined };
  }
}

export async function parseTomlFile(file: string, source: string): Promise<Record<string, unknown>> {
  try {
    return Bun.TOML.parse(source) as Record<string, unknown>;
  } catch (error) {
    const { message, position } = await locateSyntaxError(file);
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
}
