/**
 * Properties of the parsers bad input reaches first (issue 20): whatever the text, each either
 * answers or refuses with loom's own error, never throws anything else, and what it accepts keeps
 * the promise its callers rely on. loom.toml's schema has its own property (config/schema).
 * Failures fast-check found are kept in corpus.unit.test.ts.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import fc from "fast-check";
import { checkEntry } from "../../src/binaries/archive/archive-entry";
import { ToolFailure, parseArguments } from "../../src/bridge/tools/tool-registry";
import { builtinTools } from "../../src/bridge/tools";
import { parseDotenv } from "../../src/config/env/dotenv";
import { expandString } from "../../src/config/env/expand";
import { loadProjectConfig } from "../../src/config/load";
import { isLoomError } from "../../src/errors";
import { joinHostPort, parseAddress } from "../../src/net/address";
import { parseControlRequest } from "../../src/state/control";
import { inspectLedger, statePath } from "../../src/state/ledger";
import { privateDir } from "../../src/files/private";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "loom-fuzz-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Text with the characters each parser treats specially, so cases reach past the first check. */
const textOf = (specials: string[]) =>
  fc.array(fc.oneof(fc.constantFrom(...specials), fc.string({ maxLength: 4 }), fc.string({ unit: "binary", maxLength: 2 })), { maxLength: 12 }).map((parts) => parts.join(""));

test("an address either parses to what joinHostPort writes back, or is refused", () => {
  const address = fc.oneof(
    textOf(["unix:", "/", "http://", "https://", "[", "]", ":", "::1", "127.0.0.1", "localhost", "50051", "65536", "\0", "%"]),
    fc
      .tuple(
        fc.constantFrom("", "http://", "https://"),
        fc.oneof(
          fc.domain(),
          fc.ipV4(),
          fc.ipV6().map((h) => `[${h}]`),
        ),
        fc.integer({ min: 0, max: 99_999 }),
      )
      .map(([s, h, p]) => `${s}${h}:${p}`),
  );
  let accepted = 0;
  fc.assert(
    fc.property(address, (text) => {
      const parsed = parseAddress(text);
      if (!parsed) return;
      accepted++;
      if (parsed.kind === "unix") return void expect(parsed.path.startsWith("/") && !parsed.path.includes("\0")).toBe(true);
      expect(parsed.port).toBeLessThanOrEqual(65_535);
      const again = parseAddress(`${parsed.tls ? "https://" : ""}${joinHostPort(parsed.host, parsed.port)}`);
      expect(again).toEqual(parsed);
    }),
    { numRuns: 3_000 },
  );
  // Found by this property (seed -1892434337, as http://unix:<port>): a host named unix came back as the socket form.
  expect(parseAddress("http://unix:8080")).toBeUndefined();
  // A parser that refused everything would pass the property: the generated well-formed addresses must get through.
  expect(accepted).toBeGreaterThan(300);
});

test(".env: any text parses without throwing, and plain KEY=value lines come back as written", () => {
  fc.assert(
    fc.property(textOf(["=", "\n", "#", "'", '"', "`", "export ", "\\n", "${A}", " "]), (text) => void parseDotenv(text)),
    { numRuns: 2_000 },
  );
  const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
  const value = fc.stringMatching(/^[A-Za-z0-9_./:@-]{0,12}$/);
  fc.assert(
    fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (vars) => {
      const text = Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n");
      expect(parseDotenv(text)).toEqual(vars);
    }),
  );
});

test("${VAR} expansion: refuses only with loom's configuration error, and leaves text without $ alone", () => {
  const env = { A: "a", EMPTY: "", B: "${A}" };
  fc.assert(
    fc.property(textOf(["$", "${", "}", "$$", ":-", "-", ":?", "?", ":+", "+", "A", "EMPTY", "UNSET", "{"]), (text) => {
      try {
        expandString(text, { env, keyPath: "k", warnings: [] });
      } catch (e) {
        expect(isLoomError(e) && e.code === "CONFIG").toBe(true);
      }
      if (!text.includes("$")) expect(expandString(text, { env, keyPath: "k", warnings: [] })).toBe(text);
    }),
    { numRuns: 3_000 },
  );
});

test("loom.toml text: a configuration or loom's refusal naming the problem, never a crash", async () => {
  const root = tempDir();
  const toml = textOf([
    "[bridge]\n",
    "[agents.a]\n",
    "[dashboard]\n",
    "port = ",
    "50051",
    '"',
    "'",
    "${X}",
    "=",
    "\n",
    "[[",
    "]]",
    "{",
    "}",
    "command = ",
    "replicas = 3",
    "\\u0000",
    "#",
  ]);
  await fc.assert(
    fc.asyncProperty(toml, async (text) => {
      writeFileSync(join(root, "loom.toml"), text);
      try {
        await loadProjectConfig(root, { env: { X: "1" } });
      } catch (e) {
        expect(isLoomError(e) && e.code === "CONFIG").toBe(true);
        expect((e as Error).message.length).toBeGreaterThan(0);
      }
    }),
    { numRuns: 400 },
  );
});

test("an archive entry is refused, or its path stays inside the directory it is extracted to", () => {
  const root = "/x/extract";
  fc.assert(
    fc.property(textOf(["..", "/", ".", "\\", "C:", "\0", "bin", "loom-bridge", "~"]), fc.constantFrom("file", "directory", "link", "special"), (name, kind) => {
      let safe: string;
      try {
        safe = checkEntry("a.tar.gz", name, kind as "file");
      } catch (e) {
        return void expect(isLoomError(e) && e.code === "VERIFY").toBe(true);
      }
      expect(kind === "file" || kind === "directory").toBe(true);
      const target = resolve(root, safe);
      expect(target === root || target.startsWith(`${root}/`)).toBe(true);
      expect(safe.split("/")).not.toContain("..");
    }),
    { numRuns: 3_000 },
  );
});

test("a control request line is a checked request or a USAGE refusal, whatever it holds", () => {
  const request = fc.oneof(
    fc.string(),
    fc.json(),
    fc
      .record(
        { cmd: fc.constantFrom("status", "stop", "start", "restart", "kill", ""), names: fc.anything(), runtime: fc.anything(), paths: fc.anything() },
        { requiredKeys: ["cmd"] },
      )
      .map((v) => JSON.stringify(v)),
  );
  fc.assert(
    fc.property(request, (line) => {
      const parsed = parseControlRequest(line);
      if ("reply" in parsed) return void expect(parsed.reply).toMatchObject({ ok: false, code: "USAGE" });
      expect(["status", "stop", "start", "restart"]).toContain(parsed.req.cmd);
      if (parsed.req.cmd !== "status") expect(parsed.req.names.every((n) => typeof n === "string")).toBe(true);
    }),
    { numRuns: 3_000 },
  );
});

test("a ledger file of any content is believed only with the ledger's shape and this project's root", () => {
  const root = tempDir();
  privateDir(join(root, ".loom"), "state");
  const valid = {
    version: 1,
    root,
    phase: "running",
    supervisor: { pid: 1, startedAt: 0, detached: false },
    bridge: { address: "unix:/s", mode: "embedded" },
    logsDir: "l",
    children: {},
  };
  const mutated = fc.record({ key: fc.constantFrom(...Object.keys(valid)), value: fc.anything() }).map(({ key, value }) => JSON.stringify({ ...valid, [key]: value }));
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), mutated), (text) => {
      writeFileSync(statePath(root), text, { mode: 0o600 });
      const read = inspectLedger(root);
      expect(Boolean(read.ledger) !== Boolean(read.problem)).toBe(true);
      if (read.ledger) expect(read.ledger.root).toBe(root);
    }),
    { numRuns: 2_000 },
  );
});

test("tool arguments: any text is an object or the tool's INVALID_ARGUMENTS, and no built-in tool throws on what it accepts", async () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      try {
        const args = parseArguments(text);
        expect(typeof args === "object" && args !== null && !Array.isArray(args)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(ToolFailure);
      }
    }),
    { numRuns: 3_000 },
  );
  const root = tempDir();
  writeFileSync(join(root, "notes.txt"), "hello");
  // Loopback only: every tool that fetches is pointed at a port nothing listens on.
  const nowhere = "http://127.0.0.1:1";
  const registry = builtinTools(
    root,
    { LOOM_SHELL_ALLOW: "[]", VLLM_BASE_URL: nowhere, LOOM_WEATHER_URL: nowhere, LOOM_GEOCODING_URL: nowhere, LOOM_WEB_SEARCH_URL: nowhere, BRAVE_API_KEY: "k" },
    () => {},
  );
  const tools = ["fs:read_file", "fs:write_file", "fs:list_dir", "fs:delete", "system:shell", "llm:generate", "web:search", "weather:get", "nope:x"];
  const field = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom("notes.txt", ".", "..", "/etc/passwd", ".env", "loom.toml", "a/b", "workspace/a", ""),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  );
  const args = fc.dictionary(fc.constantFrom("path", "content", "command", "args", "input", "query", "location", "recursive", "x"), field, { maxKeys: 3 });
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...tools), args, async (name, value) => {
      const result = await registry.call("id", name, JSON.stringify(value), 2_000);
      expect(["TOOL_OK", "TOOL_ERROR", "TOOL_INVALID_ARGUMENTS", "TOOL_NOT_FOUND", "TOOL_TIMEOUT"]).toContain(result.status);
      // A JavaScript error escaping a tool is a bug, whatever status carries it.
      expect(result.error?.message ?? "").not.toMatch(/is not a function|Cannot read propert|undefined is not|is not iterable/);
    }),
    { numRuns: 600 },
  );
});
