/**
 * Generated user input for the process runs: loom.toml files mutated from the real ones (the
 * examples of the Loom apps and this repository's), `.env` text, LOOM_* variables, and command
 * lines built from each command's own --help. fast-check makes them, from one seed.
 */
import { readFileSync } from "node:fs";
import { resolve } from "pathe";
import fc from "fast-check";

const ROOT = resolve(import.meta.dir, "../..");
const SEEDS = [
  "test/fixtures/examples/chat-assistant.loom.toml",
  "test/fixtures/examples/market-analyst.loom.toml",
  "test/fixtures/examples/deep-research.loom.toml",
  "examples/demo/loom.toml",
  "examples/cluster/loom.toml",
].map((p) => readFileSync(resolve(ROOT, p), "utf8"));

/** Values that each reach a different rule: types, ranges, expansion, addresses, control bytes. */
const VALUES = [
  '"${X}"',
  '"${X:?needed}"',
  '"${UNSET:-d}"',
  '"$${X}"',
  '"${"',
  "-1",
  "0",
  "65536",
  "99999999999999999999",
  "1.5",
  "true",
  "[1, 2]",
  "[]",
  "{ a = 1 }",
  '"\\u0000"',
  '"unix:rel"',
  '"127.0.0.1:99999"',
  '"https://h:1"',
  '"full"',
  '"bridge-only"',
  '"native"',
  '"embedded"',
  '"shared"',
  '"each"',
  '"512Mi"',
  '"0.5"',
  '"../../etc"',
  '"/"',
  '""',
  "nan",
  "inf",
  "1979-05-27",
  '"""\nx"""',
  "'lit'",
  '"\\uD800"',
];
const JUNK = ["\0", "\x1b[31m", "=", "[", "]", "[[", "]]", "{", "}", '"', "'", "\n", "\r\n", "#", ".", "\\", "\uFEFF", "\u202E", "é", "${", "\t"];
const HEADERS = [
  "[bridge]",
  "[dashboard]",
  "[agents.x]",
  '[agents."a b"]',
  "[[agents]]",
  "[bridge.bridge]",
  "[llm.openai]",
  "[mcp.fs]",
  "[project]",
  "[agents.x.env]",
  "[runtime]",
];

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("value" as const),
    line: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(...VALUES),
      fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
    ),
  }),
  fc.record({ kind: fc.constant("delete" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("junk" as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...JUNK), fc.string({ unit: "binary", maxLength: 3 })) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("header" as const), line: fc.nat(), text: fc.constantFrom(...HEADERS) }),
  fc.record({
    kind: fc.constant("key" as const),
    line: fc.nat(),
    text: fc.constantFrom("prot", "comand", "replicas", "delivery", "version", "mode", "address", "expose", "x-y", '"quoted key"', "a.b.c"),
  }),
);

type Mutation = { kind: string; line?: number; at?: number; value?: string; text?: string };

function mutate(text: string, m: Mutation): string {
  const lines = text.split("\n");
  const line = typeof m.line === "number" ? m.line % Math.max(1, lines.length) : 0;
  const at = typeof m.at === "number" ? m.at % Math.max(1, text.length) : 0;
  switch (m.kind) {
    case "value":
      lines[line] = lines[line]!.includes("=") ? `${lines[line]!.split("=")[0]}= ${m.value}` : `${lines[line]}\nk = ${m.value}`;
      return lines.join("\n");
    case "delete":
      lines.splice(line, 1);
      return lines.join("\n");
    case "duplicate":
      lines.splice(line, 0, lines[line] ?? "");
      return lines.join("\n");
    case "junk":
      return text.slice(0, at) + m.text + text.slice(at);
    case "truncate":
      return text.slice(0, at);
    case "header":
      lines.splice(line, 0, String(m.text));
      return lines.join("\n");
    default:
      lines[line] = `${m.text}${lines[line]!.includes("=") ? ` =${lines[line]!.split("=").slice(1).join("=")}` : ' = "x"'}`;
      return lines.join("\n");
  }
}

export const tomlText = fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([seed, ms]) => ms.reduce(mutate, seed));

export const dotenvText = fc.oneof(
  fc.constant(""),
  fc
    .array(
      fc.tuple(
        fc.constantFrom("X", "UNSET", "OPENAI_API_KEY", "LOOM_BRIDGE_ADDR", "1BAD", "export X", "A B", ""),
        fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 10 }), fc.string({ unit: "binary", maxLength: 6 })),
      ),
      { maxLength: 5 },
    )
    .map((kv) => kv.map(([k, v]) => `${k}=${v}`).join("\n")),
);

const ENV_NAMES = [
  "LOOM_BRIDGE_ADDR",
  "LOOM_CONFIG",
  "LOOM_OFFLINE",
  "LOOM_DOWNLOAD_TIMEOUT_SEC",
  "LOOM_CONNECT_TIMEOUT_SEC",
  "LOOM_DOWNLOAD_RETRIES",
  "LOOM_CACHE_DIR",
  "LOOM_VERSION",
  "LOOM_DETACH_SETTLE_MS",
  "LOOM_FS_PROTECT",
  "LOOM_SHARED_AGENTS",
  "LOOM_SHELL_ALLOW",
  "LOOM_DASHBOARD_PORT",
  "LOOM_LOG_MAX_BYTES",
  "LOOM_CRASH_LOOP_LIMIT",
  "LOOM_RESTART_BASE_MS",
  "LOOM_PYTHON",
  "LOOM_ALLOW_HTTP",
  "X",
];
const ENV_VALUES = [
  "",
  "0",
  "-1",
  "1e309",
  "abc",
  "bad",
  "foo",
  "unix:",
  "127.0.0.1:1",
  "[::1]:0",
  "1",
  "true",
  "[]",
  '["a"]',
  "{",
  "/nonexistent/x",
  ".",
  "../..",
  "loom.toml",
  "9".repeat(40),
  "\u00e9",
];
/** Environment values cannot hold NUL; anything else may come. */
export const envVars = fc.dictionary(
  fc.constantFrom(...ENV_NAMES),
  fc.oneof(
    fc.constantFrom(...ENV_VALUES),
    fc.string({ maxLength: 12 }).map((s) => s.replaceAll("\0", "")),
  ),
  { maxKeys: 3 },
);

/** Commands that end by themselves (no `up`, `run`, `serve`, `dev`, `chat`, `logs -f`, `sub` without --count). */
export const COMMANDS = [
  "config",
  "doctor",
  "status",
  "ping",
  "pub",
  "call",
  "cache",
  "logs",
  "export",
  "completion",
  "init",
  "install",
  "restart",
  "stop",
  "start",
  "down",
  "sub",
  "proto",
  "--version",
  "--help",
  "nope",
];
// Flags that make a command wait as long as it is asked to: following, watching, and the
// interval between pings (`ping --interval 1e9` waits 1e9 s, as asked; a run found it as a "hang").
const ENDLESS = new Set(["--follow", "-f", "--watch", "--interval"]);
const FLAG_VALUES = [
  "",
  "0",
  "-1",
  "x",
  "1e9",
  "abc",
  "127.0.0.1:1",
  "unix:/nonexistent",
  "foo",
  "-",
  "--",
  "all",
  "json",
  "kubernetes",
  "compose",
  "bash",
  "fish",
  "ts",
  "python",
  "full",
  "bridge-only",
  "embedded",
  "native",
  "{}",
  "[",
  "/",
  "../x",
  "\u00e9",
  "a b",
];

/** Each command's flags, read from its own help text. */
export async function flagsOf(run: (argv: string[]) => Promise<string>): Promise<Map<string, string[]>> {
  const flags = new Map<string, string[]>();
  for (const c of COMMANDS.filter((c) => !c.startsWith("-") && c !== "nope")) {
    const help = await run([c, "--help"]);
    flags.set(
      c,
      [...new Set(help.match(/--[a-z][a-z-]*/g) ?? [])].filter((f) => !ENDLESS.has(f)),
    );
  }
  return flags;
}

export function argvOf(flags: Map<string, string[]>) {
  return fc
    .tuple(
      fc.constantFrom(...COMMANDS),
      fc.array(
        fc.oneof(
          fc.nat().map((n) => ({ flag: n })),
          fc.constantFrom(...FLAG_VALUES).map((v) => ({ value: v })),
          fc.string({ maxLength: 6 }).map((v) => ({ value: v.replaceAll("\0", "") })),
        ),
        { maxLength: 5 },
      ),
    )
    .map(([command, parts]) => {
      const known = flags.get(command) ?? [];
      const argv = [command, ...parts.map((p) => ("flag" in p ? (known[p.flag % Math.max(1, known.length)] ?? "--x") : p.value))];
      // `sub` waits for events by design; --count 1 with a dead Bridge still ends.
      if (command === "sub" && !argv.includes("--count")) argv.push("--count", "1");
      if (command === "logs") return argv.filter((a) => !ENDLESS.has(a));
      return argv;
    });
}
