import { describe, expect, test } from "bun:test";
import { expandString, expandValues, type ExpandWarning } from "../../src/config/env/expand";
import type { LoomError } from "../../src/errors";

const env = { SET: "value", EMPTY: "", HOST: "db", PORT: "5432", NESTED: "SET" };

function expand(text: string, warnings: ExpandWarning[] = []): string {
  return expandString(text, { env, keyPath: "llm.x.api_key", warnings });
}

describe("compose-spec expansion", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["$SET", "value"],
    ["${SET}", "value"],
    ["pre-${SET}-post", "pre-value-post"],
    ["$SET/$SET", "value/value"],
    ["${SET:-dflt}", "value"],
    ["${EMPTY:-dflt}", "dflt"],
    ["${UNSET:-dflt}", "dflt"],
    ["${EMPTY-dflt}", ""],
    ["${UNSET-dflt}", "dflt"],
    ["${SET:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["${UNSET+alt}", ""],
    ["${UNSET:-${HOST}:${PORT}}", "db:5432"],
    ["${UNSET:-${ALSO_UNSET:-deep}}", "deep"],
    ["${SET:-${MISSING:?never evaluated}}", "value"],
    ["${UNSET:+${MISSING:?never evaluated}}", ""],
    ["$$SET", "$SET"],
    ["cost: 5$", "cost: 5$"],
    ["a $ b", "a $ b"],
    ["$1", "$1"],
    ["${SET:-a b c}", "value"],
    ["${UNSET:-}", ""],
    ["postgres://u:p@${HOST}:${PORT:-1}/db", "postgres://u:p@db:5432/db"],
  ];
  for (const [input, output] of cases) test(`${JSON.stringify(input)} -> ${JSON.stringify(output)}`, () => expect(expand(input)).toBe(output));

  test("an unset variable without default becomes empty and warns with variable and key", () => {
    const warnings: ExpandWarning[] = [];
    expect(expand("key-${NOPE}", warnings)).toBe("key-");
    expect(warnings).toEqual([{ variable: "NOPE", keyPath: "llm.x.api_key" }]);
  });

  const errors: [string, RegExp][] = [
    ["${UNSET:?set the key}", /required variable UNSET is missing: set the key \(used in `llm\.x\.api_key`\)/],
    ["${EMPTY:?}", /required variable EMPTY is not set or empty/],
    ["${UNSET?}", /required variable UNSET is not set/],
    ["${SET", /unterminated `\$\{`.*in `llm\.x\.api_key`/],
    ["${}", /malformed variable `\$\{\}`/],
    ["${1A}", /malformed variable/],
    ["${A B}", /malformed variable/],
    ["${SET:x}", /malformed variable/],
  ];
  for (const [input, message] of errors)
    test(`${JSON.stringify(input)} is a configuration error`, () => {
      expect(() => expand(input)).toThrow(message);
      try {
        expand(input);
      } catch (e) {
        expect((e as LoomError).exitCode).toBe(2);
      }
    });

  test("${VAR?} accepts a set but empty variable", () => expect(expand("${EMPTY?}")).toBe(""));
});

describe("expandValues", () => {
  test("expands strings through arrays and nested tables, never keys or numbers", () => {
    const warnings: ExpandWarning[] = [];
    const out = expandValues({ $SET: { a: ["$SET", 1, true, { b: "${SET}" }] }, n: 5, s: "$NOPE" }, env, warnings);
    expect(out).toEqual({ $SET: { a: ["value", 1, true, { b: "value" }] }, n: 5, s: "" });
    expect(warnings).toEqual([{ variable: "NOPE", keyPath: "s" }]);
  });

  test("the key path of an array item names its index", () => {
    expect(() => expandValues({ mcp: { x: { args: ["ok", "${BAD"] } } }, env)).toThrow("in `mcp.x.args[1]`");
  });
});
