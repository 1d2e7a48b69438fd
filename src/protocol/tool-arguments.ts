/**
 * The JSON Schema an agent declares for its tool (ToolDescriptor.parameters_schema), enforced
 * before the call reaches the agent: a call its schema refuses is TOOL_INVALID_ARGUMENTS with the
 * validator's words, and the handler never sees it. @cfworker/json-schema (no dependencies,
 * drafts 4 to 2020-12) validates; compiled schemas are cached by their text, at most CACHED.
 * A schema that is not JSON, or not a schema, is not enforced: the agent's declaration is its own.
 */
import { Validator } from "@cfworker/json-schema";

const CACHED = 256;
const cache = new Map<string, Validator | null>();
/** Errors that only say a child failed: the child's own error says what. */
const WRAPPERS = new Set(["properties", "items", "prefixItems", "additionalProperties", "allOf", "anyOf", "oneOf", "$ref", "dependentSchemas", "unevaluatedProperties"]);

function validator(schemaText: string): Validator | null {
  let v = cache.get(schemaText);
  if (v !== undefined) return v;
  try {
    const schema = JSON.parse(schemaText);
    v = schema && typeof schema === "object" && !Array.isArray(schema) ? new Validator(schema, "2020-12", false) : null;
  } catch {
    v = null;
  }
  if (cache.size >= CACHED) cache.delete(cache.keys().next().value!);
  cache.set(schemaText, v);
  return v;
}

/** Why `args` do not match the declared schema, or undefined when they do (or nothing is declared). */
export function refuseArguments(schemaText: string | undefined, args: unknown): string | undefined {
  if (!schemaText) return undefined;
  const v = validator(schemaText);
  if (!v) return undefined;
  let result: ReturnType<Validator["validate"]>;
  try {
    result = v.validate(args);
  } catch {
    return undefined; // a schema the validator cannot apply ($ref to elsewhere): not enforced
  }
  if (result.valid) return undefined;
  const leaves = result.errors.filter((e) => !WRAPPERS.has(e.keyword));
  const shown = (leaves.length ? leaves : result.errors).slice(0, 3);
  return shown.map((e) => `'${e.instanceLocation.replace(/^#\/?/, "") || "arguments"}': ${e.error}`).join("; ");
}
