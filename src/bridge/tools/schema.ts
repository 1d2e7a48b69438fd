/**
 * One zod schema per built-in tool is both what the tool declares (`parameters`, JSON Schema, as
 * upstream's ToolDescriptor carries it) and what a call's arguments are checked against before the
 * tool runs, so the two cannot drift. A refusal is INVALID_ARGUMENTS with upstream's wording where
 * the schema gives one ("Missing 'path' argument"), else the field and what it must be.
 * MCP tools declare their server's schema and the server checks it.
 */
import { z } from "zod";
import { type Args, type Tool, ToolFailure } from "./tool-registry";

export { z };

/** A string argument that must be present and non-empty, refused with `missing` (upstream's text). */
export function required(missing: string, description: string) {
  return z.string({ error: missing }).min(1, { error: missing }).describe(description);
}

/** The issue's own message when the schema set one, else "'field': what zod says". */
function explain(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join(".");
  return issue.message.startsWith("Invalid input") || issue.message.startsWith("Too ") ? `'${field || "arguments"}': ${issue.message}` : issue.message;
}

export function defineTool<S extends z.ZodObject>(tool: { name: string; description: string; args: S; call(args: z.output<S>, signal: AbortSignal): Promise<unknown> }): Tool {
  const { $schema: _, ...parameters } = z.toJSONSchema(tool.args, { io: "input" });
  return {
    name: tool.name,
    description: tool.description,
    parameters,
    async call(args: Args, signal: AbortSignal) {
      const parsed = tool.args.safeParse(args);
      if (!parsed.success) throw new ToolFailure("invalid", explain(parsed.error.issues[0]!));
      return tool.call(parsed.data, signal);
    },
  };
}
