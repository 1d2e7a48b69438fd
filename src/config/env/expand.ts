/**
 * `${VAR}` expansion with the compose-spec rules, applied to string values after TOML parsing.
 * Defaults and alternatives are expanded lazily: only the branch that is used is evaluated, so a
 * `${A:?}` inside an unused default never fails.
 */
import { LoomError } from "../../errors";

export interface ExpandWarning {
  variable: string;
  keyPath: string;
}

export interface ExpandContext {
  env: Record<string, string | undefined>;
  /** Dotted path of the value being expanded, for messages. */
  keyPath: string;
  warnings: ExpandWarning[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** A bad `${...}`; `keyPath` says which value, so the loader can point at its line. */
export class ExpandError extends LoomError {
  constructor(
    message: string,
    readonly keyPath: string,
    hint?: string,
  ) {
    super("CONFIG", message, { hint });
  }
}

function fail(ctx: ExpandContext, message: string, hint?: string): never {
  throw new ExpandError(`${message} in \`${ctx.keyPath}\``, ctx.keyPath, hint);
}

function readName(text: string, start: number): number {
  let end = start;
  if (end < text.length && NAME_START.test(text[end]!)) {
    end++;
    while (end < text.length && NAME_CHAR.test(text[end]!)) end++;
  }
  return end;
}

/** Index of the `}` that closes the `${` whose body starts at `start`, honouring nesting. */
function findClose(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "$" && text[i + 1] === "$") i++;
    else if (c === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

const OPERATORS = [":-", ":?", ":+", "-", "?", "+"] as const;
type Operator = (typeof OPERATORS)[number];

function lookup(ctx: ExpandContext, name: string): string | undefined {
  return ctx.env[name];
}

function applyOperator(ctx: ExpandContext, name: string, op: Operator, word: string): string {
  const value = lookup(ctx, name);
  const isSet = value !== undefined;
  const isNonEmpty = isSet && value !== "";
  switch (op) {
    case ":-":
      return isNonEmpty ? value! : expandString(word, ctx);
    case "-":
      return isSet ? value! : expandString(word, ctx);
    case ":+":
      return isNonEmpty ? expandString(word, ctx) : "";
    case "+":
      return isSet ? expandString(word, ctx) : "";
    case ":?":
    case "?": {
      const ok = op === ":?" ? isNonEmpty : isSet;
      if (ok) return value!;
      const custom = expandString(word, ctx);
      const reason = custom ? `is missing: ${custom}` : op === ":?" ? "is not set or empty" : "is not set";
      throw new ExpandError(`required variable ${name} ${reason} (used in \`${ctx.keyPath}\`)`, ctx.keyPath, `set ${name} in the environment or in the project's .env file`);
    }
  }
}

function plain(ctx: ExpandContext, name: string): string {
  const value = lookup(ctx, name);
  if (value === undefined) {
    ctx.warnings.push({ variable: name, keyPath: ctx.keyPath });
    return "";
  }
  return value;
}

/** Expands one string. Throws a CONFIG LoomError for malformed or required-but-missing variables. */
export function expandString(text: string, ctx: ExpandContext): string {
  if (!text.includes("$")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const close = findClose(text, i + 2);
      if (close < 0) fail(ctx, `unterminated \`\${\` in "${text}"`, "close it with `}` or write `$$` for a literal `$`");
      const body = text.slice(i + 2, close);
      const nameEnd = readName(body, 0);
      const name = body.slice(0, nameEnd);
      if (name === "") fail(ctx, `malformed variable \`\${${body}}\``, "a variable name starts with a letter or `_`");
      const rest = body.slice(nameEnd);
      if (rest === "") out += plain(ctx, name);
      else {
        const op = OPERATORS.find((o) => rest.startsWith(o));
        if (!op) fail(ctx, `malformed variable \`\${${body}}\``, "use ${VAR}, ${VAR:-default}, ${VAR:?message} or ${VAR:+alt}");
        out += applyOperator(ctx, name, op, rest.slice(op.length));
      }
      i = close + 1;
    } else {
      const nameEnd = readName(text, i + 1);
      if (nameEnd === i + 1) {
        out += "$"; // a `$` not followed by a name or `{` stays as it is
        i++;
      } else {
        out += plain(ctx, text.slice(i + 1, nameEnd));
        i = nameEnd;
      }
    }
  }
  return out;
}

/** Expands every string value (never keys, never numbers) through arrays and nested tables. */
export function expandValues<T>(value: T, env: ExpandContext["env"], warnings: ExpandWarning[] = [], keyPath = ""): T {
  if (typeof value === "string") return expandString(value, { env, keyPath, warnings }) as T;
  if (Array.isArray(value)) return value.map((v, i) => expandValues(v, env, warnings, `${keyPath}[${i}]`)) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandValues(v, env, warnings, keyPath ? `${keyPath}.${k}` : k);
    return out as T;
  }
  return value;
}
