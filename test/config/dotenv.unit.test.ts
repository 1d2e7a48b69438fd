import { describe, expect, test } from "bun:test";
import { mergeDotenv, parseDotenv } from "../../src/config/env/dotenv";

describe(".env parsing (dotenv syntax)", () => {
  test("keys, export, comments, quotes, multi-line values and \\n", () => {
    const source = [
      "# a comment",
      "PLAIN=hello world",
      "export EXPORTED=yes",
      "SPACED = padded  ",
      "INLINE=value # trailing comment",
      "SINGLE='single $quoted # not a comment'",
      'DOUBLE="line1\\nline2"',
      "BACKTICK=`has 'single' and \"double\"`",
      'MULTI="first',
      'second"',
      "EMPTY=",
      "DOTTED.KEY=ok",
      "",
      "not a valid line",
    ].join("\n");
    expect(parseDotenv(source)).toEqual({
      PLAIN: "hello world",
      EXPORTED: "yes",
      SPACED: "padded",
      INLINE: "value",
      SINGLE: "single $quoted # not a comment",
      DOUBLE: "line1\nline2",
      BACKTICK: `has 'single' and "double"`,
      MULTI: "first\nsecond",
      EMPTY: "",
      "DOTTED.KEY": "ok",
    });
  });

  test("single quotes keep \\n as written; CRLF files work", () => {
    expect(parseDotenv("A='x\\ny'\r\nB=2\r\n")).toEqual({ A: "x\\ny", B: "2" });
  });

  test("the real environment wins over .env", () => {
    expect(mergeDotenv({ A: "real", C: undefined }, { A: "file", B: "file" })).toEqual({ A: "real", B: "file" });
  });
});
