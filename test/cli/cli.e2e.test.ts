/** End to end through dist/loom: the shell, exit codes, config and init. */
import { describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import pkg from "../../package.json" with { type: "json" };
import { exampleFiles } from "../helpers/examples";
import { ROOT, runLoom } from "../helpers/loom";
import { tempDir, writeTree } from "../helpers/tmp";
import { loom, makeProject } from "../helpers/runtime";

describe("the loom shell", () => {
  test("--version prints the package.json version", async () => {
    const r = await runLoom(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `loom ${pkg.version}\n` });
  });

  test("--help lists commands; a command's --help has examples", async () => {
    const root = await runLoom(["--help"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain("config");
    expect(root.stdout).not.toContain("\x1b["); // NO_COLOR / not a terminal
    const sub = await runLoom(["config", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("Examples:");
    expect(sub.stdout).toContain("loom config --json");
  });

  test("an unknown command or option is a usage error (exit 2)", async () => {
    const cmd = await runLoom(["frobnicate"]);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("unknown command `frobnicate`");
    const opt = await runLoom(["config", "--jsn"]);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("unknown option `--jsn`: did you mean `--json`?");
    // As git and cargo: a near miss is named, a far one is not.
    expect((await runLoom(["stauts"])).stderr).toContain("unknown command `stauts`: did you mean `loom status`?");
    expect((await runLoom(["run", "--wtach"])).stderr).toContain("unknown option `--wtach`: did you mean `--watch`?");
    expect(cmd.stderr).not.toContain("did you mean");
  });

  test("stop, start and restart name what they take in --help", async () => {
    for (const cmd of ["stop", "start", "restart"]) expect((await runLoom([cmd, "--help"])).stdout).toContain(`Usage: loom ${cmd} [options] [NAME...]`);
  });

  test("`loom version` and upstream's `loom up --version V` (the runtime's version)", async () => {
    const v = await runLoom(["version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe((await runLoom(["--version"])).stdout);
    expect(JSON.parse((await runLoom(["version", "--json"])).stdout)).toMatchObject({ loom: expect.any(String), bun: expect.any(String) });
    const dir = writeTree(tempDir(), { "loom.toml": 'name = "v"\n[bridge]\nruntime = "native"\n' });
    // Taken as the runtime's version: the download of 0.2.0 is what fails here (no network), not the flag.
    const up = await runLoom(["up", "--version", "0.2.0"], { cwd: dir, env: { LOOM_DOWNLOAD_BASE_URL: "http://127.0.0.1:9" } });
    expect(up.stderr).not.toContain("unknown option");
    expect(up.stderr).toContain("0.2.0");
  });

  test("the executable ignores .env.local and bunfig.toml in the directory it starts in", async () => {
    const dir = writeTree(tempDir(), {
      "loom.toml": 'name = "${PROJECT_NAME:-safe}"\n',
      ".env.local": "PROJECT_NAME=leaked\n",
      "bunfig.toml": 'preload = ["./evil.ts"]\n',
      "evil.ts": 'require("fs").writeFileSync("pwned", "1");\n',
    });
    const r = await runLoom(["config", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).name).toBe("safe");
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });
});

describe("loom config", () => {
  test("an error message never quotes the value of a secret-named variable", async () => {
    const dir = writeTree(tempDir(), { ".env": "SECRET_TOKEN=tok-987654\n", "loom.toml": '[dashboard]\nport = "${SECRET_TOKEN}"\n' });
    const r = await runLoom(["config", "--verbose"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("`dashboard.port` must be a whole number from 0 to 65535");
    expect(r.stdout + r.stderr).not.toContain("tok-987654");
  });

  for (const [name, file] of Object.entries(exampleFiles()))
    test(`--json on the ${name} example gives values, defaults and hidden secrets`, async () => {
      const dir = tempDir();
      copyFileSync(file, join(dir, "loom.toml"));
      writeFileSync(join(dir, ".env"), "DEEPSEEK_API_KEY=sk-from-dotenv\nBRAVE_API_KEY=brave-secret\n");
      const r = await runLoom(["config", "--json"], { cwd: dir });
      expect(r.code).toBe(0);
      const config = JSON.parse(r.stdout);
      expect(Object.keys(config).slice(0, 8)).toEqual(["name", "version", "description", "bridge", "dashboard", "llm", "mcp", "agents"]);
      expect(config.name).toBe(name === "chat-assistant" ? "chat-agent" : name);
      expect(config.bridge).toMatchObject({ address: "127.0.0.1:50051", mode: "full", version: "latest", timeout_sec: 30 });
      expect(config.dashboard).toMatchObject({ host: "127.0.0.1", port: 3030 });
      expect(config.llm.deepseek).toMatchObject({ type: "http", base_url: "https://api.deepseek.com/v1", api_key: "***", model: "deepseek-chat", max_tokens: 4096 });
      expect(config.llm.local).toMatchObject({ base_url: "http://localhost:8000/v1", max_tokens: 2048, timeout_sec: 30, extra: {} });
      expect(r.stdout).not.toContain("sk-from-dotenv");
      expect(r.stdout).not.toContain("brave-secret");
      if (config.mcp["web-search"]) expect(config.mcp["web-search"].env).toEqual({ BRAVE_API_KEY: "***" });
      if (name === "deep-research") expect(config.workspace.root).toBe("./workspace");
      expect(Object.keys(config.agents).length).toBeGreaterThan(0);
    });

  test("--show-secrets shows them; the text summary names the file and hides them", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": '[llm.a]\napi_key = "${KEY}"\nmodel = "m"\n', ".env": "KEY=sk-123\n" });
    const shown = await runLoom(["config", "--json", "--show-secrets"], { cwd: dir });
    expect(JSON.parse(shown.stdout).llm.a.api_key).toBe("sk-123");
    const text = await runLoom(["config", "--project", dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(join(dir, "loom.toml"));
    expect(text.stdout).toContain("api_key ***");
    expect(text.stdout).not.toContain("sk-123");
  });

  const bad: [string, string, string][] = [
    ["syntax", 'name = "open\n', "loom.toml:1:"],
    ["port type", '[dashboard]\nport = "abc"\n', "loom.toml:2:8: `dashboard.port` must be a whole number"],
    ["mode", '[bridge]\nmode = "fast"\n', "loom.toml:2:8: `bridge.mode` must be one of"],
    ["args", '[mcp.x]\ncommand = "c"\nargs = "x"\n', "loom.toml:3:8: `mcp.x.args` must be an array"],
    ["port range", "[dashboard]\nport = 70000\n", "loom.toml:2:8:"],
    ["required variable", '[llm.a]\napi_key = "${NEED_ME:?set it}"\n', "loom.toml:2:11: required variable NEED_ME is missing: set it"],
  ];
  for (const [name, toml, message] of bad)
    test(`bad input (${name}) exits 2 with its location, printing no config`, async () => {
      const dir = writeTree(tempDir(), { "loom.toml": toml });
      const r = await runLoom(["config", "--json"], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain("hint:");
      expect(r.stdout).toBe("");
    });

  test("a --project that is not a directory is a usage error naming it, for every command", async () => {
    for (const args of [["status"], ["config"], ["restart", "x"], ["logs"]]) {
      const r = await runLoom([...args, "--project", "/nonexistent/project"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--project "/nonexistent/project" is not a directory');
    }
  });

  test("a TOML syntax error shows the line and a caret", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": "a = 1\nb = [1,\n" });
    const r = await runLoom(["config"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/loom\.toml:\d+:\d+: TOML syntax error/);
    expect(r.stderr).toContain("^");
  });

  test("--verbose adds a stack trace", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": "[dashboard]\nport = -1\n" });
    const r = await runLoom(["config", "--verbose"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("LoomError");
  });
});

describe("--config FILE", () => {
  test("every command reads loom.toml from the file given, the project staying where it runs", async () => {
    const file = join(writeTree(tempDir(), { "cfg/loom.toml": 'name = "mounted"\n[bridge]\naddress = "127.0.0.1:50999"\n' }), "cfg/loom.toml");
    const project = writeTree(tempDir(), { "loom.toml": 'name = "local"\n' });
    const config = await runLoom(["config", "--json", "--config", file], { cwd: project });
    expect(config.code).toBe(0);
    expect(JSON.parse(config.stdout)).toMatchObject({ name: "mounted", bridge: { address: "127.0.0.1:50999" } });
    const missing = await runLoom(["config", "--config", join(project, "nope.toml")], { cwd: project });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.toml");
  });
});

describe("loom init", () => {
  test("creates loom.toml, an example agent and .gitignore; the config it writes is valid", async () => {
    const dir = join(tempDir(), "my-app");
    const r = await runLoom(["init", dir]);
    expect(r.code).toBe(0);
    for (const f of ["loom.toml", "agents/hello.ts", ".gitignore"]) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toContain(".loom/");
    const config = await runLoom(["config", "--json"], { cwd: dir });
    expect(config.code).toBe(0);
    expect(JSON.parse(config.stdout).name).toBe("my-app");
  });

  test("TypeScript starter type-checks against the SDK's declared types; the Python starter parses and says how to get its SDK", async () => {
    const ts = join(tempDir(), "ts-app");
    expect((await runLoom(["init", ts])).code).toBe(0);
    for (const f of ["loom-sdk.d.ts", "loom-env.d.ts", "tsconfig.json"]) expect(existsSync(join(ts, f))).toBe(true);
    // What an agent's author writes first: a variable from the environment, and Bun's own API.
    appendFileSync(join(ts, "agents/hello.ts"), "const key: string | undefined = process.env.OPENAI_API_KEY ?? Bun.env.OPENAI_API_KEY;\nconsole.log(Bun.version, key?.length);\n");
    // The rest of the API, as the SDK's source declares it (the types are emitted from it).
    writeFileSync(
      join(ts, "agents/more.ts"),
      'import { Agent, Envelope, tool, ToolCallError } from "loom:sdk";\n' +
        'const add = tool<{ a: number }>({ name: "add", parameters: { type: "object" }, handler: (args, ctx) => ctx.memory.set("last", args.a) });\n' +
        'new Agent({ id: "more", tools: [add], onEvent: async (ctx, _t, e: Envelope) => { await ctx.reply(e, { type: "x", payload: e.json<{ n: number }>().n }); await ctx.memory.append({ thread: "t", role: "user", content: e.text() }); } });\n' +
        "export const failed = (e: unknown) => e instanceof ToolCallError && e.code;\n",
    );
    const tsc = Bun.spawnSync([join(ROOT, "node_modules/.bin/tsc"), "-p", ts], { stdout: "pipe", stderr: "pipe" });
    expect({ code: tsc.exitCode, out: tsc.stdout.toString() }).toEqual({ code: 0, out: "" });
    // What is not the API fails: a missing id, a wrong payload type, the SDK's internals.
    writeFileSync(
      join(ts, "agents/bad.ts"),
      'import { Agent, Envelope } from "loom:sdk";\nnew Agent({ topics: ["x"] });\nEnvelope.fromWire({});\nnew Agent({ id: "b", onEvent: (ctx) => ctx.emit("t", { type: 1 }) });\n',
    );
    const bad = Bun.spawnSync([join(ROOT, "node_modules/.bin/tsc"), "-p", ts], { stdout: "pipe", stderr: "pipe" }).stdout.toString();
    expect(bad.match(/agents\/bad\.ts\(\d+/g)).toEqual(["agents/bad.ts(2", "agents/bad.ts(3", "agents/bad.ts(4"]);
    const py = join(tempDir(), "py-app");
    const r = await runLoom(["init", py, "--template", "python"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pip install "git+https://github.com/loom-os/loom#subdirectory=loom-py"');
    const parsed = Bun.spawnSync(["python3", "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", join(py, "agents/hello.py")], { stderr: "pipe" });
    expect({ code: parsed.exitCode, err: parsed.stderr.toString() }).toEqual({ code: 0, err: "" });
    expect(readFileSync(join(py, "agents/hello.py"), "utf8")).toContain("from loom import Agent");
    expect((await runLoom(["init", join(tempDir(), "x"), "--template", "rust"])).code).toBe(2);
  });

  test("never overwrites an existing file, and adds only missing .gitignore entries", async () => {
    const dir = writeTree(tempDir(), { "loom.toml": 'name = "mine"\n', ".gitignore": "node_modules\n.env\n" });
    const r = await runLoom(["init", dir]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "loom.toml"), "utf8")).toBe('name = "mine"\n');
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules\n.env\n.loom/\n");
    expect(existsSync(join(dir, "agents/hello.ts"))).toBe(true);
  });
});

describe("loom completion", () => {
  test("bash, zsh and fish scripts name every command; bash and zsh accept them", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await runLoom(["completion", shell]);
      expect(r.code).toBe(0);
      for (const cmd of ["init", "config", "install", "cache", "up", "run", "down", "status", "logs"]) expect(r.stdout).toContain(cmd);
      if (shell !== "fish" && Bun.which(shell)) {
        const check = Bun.spawnSync([shell, "-n"], { stdin: new TextEncoder().encode(r.stdout) });
        expect(check.exitCode).toBe(0);
      }
    }
    const bad = await runLoom(["completion", "tcsh"]);
    expect(bad.code).toBe(2);
  });

  test("bash completes the running project's process names for logs, restart, stop and start", async () => {
    const root = makeProject(["echo.ts"], 'runtime = "embedded"\n');
    expect((await loom(["run", "--detach", "--bridge-port", "0", "--dashboard-port", "0"], root)).code).toBe(0);
    try {
      const script = (await runLoom(["completion", "bash"])).stdout;
      const complete = (words: string) =>
        Bun.spawnSync(["bash", "-c", `${script}\nCOMP_WORDS=(${words} ""); COMP_CWORD=${words.split(" ").length}; _loom; echo "\${COMPREPLY[@]}"`], {
          cwd: root,
          env: { ...process.env, PATH: `${join(ROOT, "dist")}:${process.env.PATH}` },
        })
          .stdout.toString()
          .trim()
          .split(" ");
      expect(complete("loom restart")).toEqual(expect.arrayContaining(["core", "echo"]));
      expect(complete("loom logs")).toEqual(expect.arrayContaining(["echo", "--follow"]));
      expect(complete("loom status")).not.toContain("echo");
    } finally {
      await loom(["down"], root);
    }
  });
});
