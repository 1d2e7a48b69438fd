import { describe, expect, test } from "bun:test";
import { serdeJsonError } from "../../src/bridge/tools/json-error";

describe("bad JSON in serde_json's words (upstream's message for bad tool arguments)", () => {
  test.each([
    ["", "EOF while parsing a value at line 1 column 0"],
    ["   ", "EOF while parsing a value at line 1 column 3"],
    ["x", "expected value at line 1 column 1"],
    ["{oops", "key must be a string at line 1 column 2"],
    ['{"a" 1}', "expected `:` at line 1 column 6"],
    ['{"a":1', "EOF while parsing an object at line 1 column 6"],
    ['{"a":1 "b":2}', "expected `,` or `}` at line 1 column 8"],
    ["[1 2]", "expected `,` or `]` at line 1 column 4"],
    ["[1,", "EOF while parsing a value at line 1 column 3"],
    ["[1,]", "trailing comma at line 1 column 4"],
    ['{"a":1}x', "trailing characters at line 1 column 8"],
    ['"abc', "EOF while parsing a string at line 1 column 4"],
    ['"\\q"', "invalid escape at line 1 column 3"],
    ["trux", "expected ident at line 1 column 4"],
    ["01", "invalid number at line 1 column 2"],
    ['{\n  "a": ?\n}', "expected value at line 2 column 8"],
    ["[", "EOF while parsing a list at line 1 column 1"],
    ['"\\u12zz"', "invalid escape at line 1 column 6"],
    ['"é', "EOF while parsing a string at line 1 column 3"],
  ])("%p", (text, message) => {
    expect(serdeJsonError(text)).toBe(message);
  });

  test("valid JSON has no error", () => {
    for (const ok of ["{}", '{"a": [1, 2.5e-3, -0, true, null, "\\u00e9"]}', " [ ] "]) expect(serdeJsonError(ok)).toBe("");
  });
});
