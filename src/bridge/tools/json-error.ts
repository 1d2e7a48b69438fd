/**
 * Why a text is not JSON, in the words and positions of serde_json (upstream's parser), so an
 * agent that matches on ToolResult.error.message for bad arguments reads the same text:
 * "expected value at line 1 column 1", "EOF while parsing an object at line 1 column 6", ...
 * serde reports most errors at the character it was looking at (1-based column, counted in bytes)
 * and end-of-input errors at the last character it consumed. Checked against serde_json 1.0.87
 * (Debian's librust-serde-json-dev) on 54 cases. Only the position and wording are computed here; the
 * parsing itself is JSON.parse's.
 */

class SyntaxAt extends Error {}

export function serdeJsonError(text: string): string {
  let i = 0;
  const at = (index: number) => {
    const before = text.slice(0, index);
    const line = before.split("\n").length;
    return `line ${line} column ${Buffer.byteLength(before.slice(before.lastIndexOf("\n") + 1))}`; // serde counts bytes
  };
  const fail = (message: string, index = i + 1): never => {
    throw new SyntaxAt(`${message} at ${at(index)}`);
  };
  const eof = (what: string): never => fail(`EOF while parsing ${what}`, text.length);
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const ident = (word: string) => {
    for (const c of word) {
      if (i >= text.length) eof("a value");
      if (text[i] !== c) fail("expected ident");
      i++;
    }
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) eof("a string");
      const c = text[i]!;
      if (c === '"') return void i++;
      if (c < " ") fail("control character (\\u0000-\\u001F) found while parsing a string");
      if (c === "\\") {
        i++;
        if (i >= text.length) eof("a string");
        if (text[i] === "u") {
          if (i + 4 >= text.length) eof("a string"); // serde takes the four bytes first
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k]!)) fail("invalid escape", i + k + 1);
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i]!)) fail("invalid escape");
      }
      i++;
    }
  };
  const number = () => {
    if (text[i] === "-") i++;
    if (i >= text.length) eof("a value");
    if (text[i] === "0") {
      i++;
      if (/[0-9]/.test(text[i] ?? "")) fail("invalid number");
    } else if (/[1-9]/.test(text[i]!)) while (/[0-9]/.test(text[i] ?? "")) i++;
    else fail("invalid number");
    for (const [mark, sign] of [
      [".", false],
      ["e", true],
    ] as const) {
      if (text[i]?.toLowerCase() !== mark) continue;
      i++;
      if (sign && (text[i] === "+" || text[i] === "-")) i++;
      if (i >= text.length) eof("a value");
      if (!/[0-9]/.test(text[i]!)) fail("invalid number");
      while (/[0-9]/.test(text[i] ?? "")) i++;
    }
  };
  const value = (depth: number): void => {
    if (depth > 128) fail("recursion limit exceeded");
    ws();
    if (i >= text.length) eof("a value");
    const c = text[i]!;
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      const what = c === "{" ? "an object" : "a list";
      i++;
      ws();
      if (i >= text.length) eof(what);
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === "{") {
          ws();
          if (i >= text.length) eof(what);
          if (text[i] !== '"') fail("key must be a string");
          string();
          ws();
          if (i >= text.length) eof(what);
          if (text[i] !== ":") fail("expected `:`");
          i++;
        }
        value(depth + 1);
        ws();
        if (i >= text.length) eof(what);
        if (text[i] === close) return void i++;
        if (text[i] !== ",") fail(`expected \`,\` or \`${close}\``);
        i++;
        ws();
        if (text[i] === close) fail("trailing comma");
      }
    }
    if (c === '"') string();
    else if (c === "t") ident("true");
    else if (c === "f") ident("false");
    else if (c === "n") ident("null");
    else if (c === "-" || /[0-9]/.test(c)) number();
    else fail("expected value");
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail("trailing characters");
  } catch (e) {
    if (e instanceof SyntaxAt) return e.message;
    throw e;
  }
  return "";
}
