import { describe, expect, test } from "bun:test";
import { copyFileSync, chmodSync } from "node:fs";
import { join } from "pathe";
import { loadProjectConfig } from "../../src/config/load";
import { toEnvVars } from "../../src/config/env/env-vars";
import { redactConfig } from "../../src/config/env/redact";
import { LoomError } from "../../src/errors";
import { exampleFiles } from "../helpers/examples";
import { tempDir, writeTree } from "../helpers/tmp";

function projectWith(files: Record<string, string>): string {
  return writeTree(tempDir(), files);
}

async function loadError(toml: string, env: Record<string, string> = {}): Promise<LoomError> {
  const dir = projectWith({ "loom.toml": toml });
  try {
    await loadProjectConfig(dir, { env });
  } catch (e) {
    return e as LoomError;
  }
  throw new Error("expected an error");
}

describe("the Loom example projects", () => {
  const examples = exampleFiles();
  test("all three are found", () => expect(Object.keys(examples).sort()).toEqual(["chat-assistant", "deep-research", "market-analyst"]));

  test("market-analyst: api_base, empty parent tables, tab-indented env sub-table, extra keys", async () => {
    const dir = tempDir();
    copyFileSync(examples["market-analyst"]!, join(dir, "loom.toml"));
    const { config, warnings } = await loadProjectConfig(dir, { env: { DEEPSEEK_API_KEY: "sk-1", BRAVE_API_KEY: "b-2" } });
    expect(warnings).toEqual([]);
    expect(config.name).toBe("market-analyst");
    expect(config.bridge).toEqual({ address: "127.0.0.1:50051", mode: "full", version: "latest", timeout_sec: 30 });
    expect(config.dashboard).toEqual({ enabled: true, host: "127.0.0.1", port: 3030 });
    expect(config.llm.deepseek).toEqual({
      type: "http",
      base_url: "https://api.deepseek.com/v1",
      api_key: "sk-1",
      model: "deepseek-chat",
      max_tokens: 4096,
      temperature: 0.7,
      timeout_sec: 30,
      extra: {},
    });
    expect(config.llm.local!.timeout_sec).toBe(30); // default filled in
    expect(config.mcp["web-search"]).toEqual({ command: "npx", args: ["-y", "@modelcontextprotocol/server-brave-search"], env: { BRAVE_API_KEY: "b-2" } });
    expect(Object.keys(config.agents)).toHaveLength(6);
    expect(config.agents["executor-agent"]).toEqual({ topics: ["plan.ready"], enable_trading: true, min_order_usdt: 10, max_order_usdt: 50 });
  });

  test("deep-research keeps [workspace] as it is; chat-assistant fills dashboard defaults", async () => {
    const deep = tempDir();
    copyFileSync(examples["deep-research"]!, join(deep, "loom.toml"));
    const d = await loadProjectConfig(deep, { env: {} });
    expect(d.config.workspace).toEqual({ root: "./workspace", reports_dir: "./workspace/reports" });
    expect(d.config.agents["researcher-agent"]!.topics).toEqual([]);
    expect(d.warnings.some((w) => w.includes("DEEPSEEK_API_KEY is not set"))).toBe(true);

    const chat = tempDir();
    copyFileSync(examples["chat-assistant"]!, join(chat, "loom.toml"));
    const c = await loadProjectConfig(chat, { env: {} });
    expect(c.config.dashboard).toEqual({ enabled: false, host: "127.0.0.1", port: 3030 });
    expect(c.config.bridge.version).toBe("latest");
  });
});

describe("finding and defaults", () => {
  test("no loom.toml anywhere means every default", async () => {
    const dir = tempDir();
    const { config, file } = await loadProjectConfig(dir, { env: {} });
    expect(file).toBeUndefined();
    expect(config).toEqual({
      name: undefined,
      version: "0.1.0",
      description: undefined,
      bridge: { address: "127.0.0.1:50051", mode: "full", version: "latest", timeout_sec: 30 },
      dashboard: { enabled: true, host: "127.0.0.1", port: 3030 },
      llm: {},
      mcp: {},
      agents: {},
      telemetry: {},
      memory: {},
    });
  });

  test("loom.toml is found in a parent directory, and .env beside it", async () => {
    const dir = projectWith({ "loom.toml": 'name = "${PROJECT_NAME}"\n', ".env": "PROJECT_NAME=from-dotenv\n", "src/deep/x": "" });
    const p = await loadProjectConfig(join(dir, "src/deep"), { env: {} });
    expect(p.file).toBe(join(dir, "loom.toml"));
    expect(p.root).toBe(dir);
    expect(p.envFile).toBe(join(dir, ".env"));
    expect(p.config.name).toBe("from-dotenv");
  });

  test(".env above the project is used when there is none beside it; the real environment wins", async () => {
    const top = projectWith({ ".env": "A=dotenv\nB=dotenv\n", "app/loom.toml": 'name = "$A-$B"\n' });
    const p = await loadProjectConfig(join(top, "app"), { env: { A: "real" } });
    expect(p.config.name).toBe("real-dotenv");
    expect(p.env.B).toBe("dotenv");
  });

  test("LOOM_BRIDGE_ADDR overrides bridge.address", async () => {
    const dir = projectWith({ "loom.toml": '[bridge]\naddress = "127.0.0.1:1"\n' });
    expect((await loadProjectConfig(dir, { env: { LOOM_BRIDGE_ADDR: "127.0.0.1:6000" } })).config.bridge.address).toBe("127.0.0.1:6000");
  });

  test("a malformed LOOM_BRIDGE_ADDR is a configuration error; one from .env counts too", async () => {
    const dir = projectWith({ "loom.toml": "", ".env": "LOOM_BRIDGE_ADDR=127.0.0.1:7000\n" });
    expect((await loadProjectConfig(dir, { env: {} })).config.bridge.address).toBe("127.0.0.1:7000");
    const error = (await loadProjectConfig(dir, { env: { LOOM_BRIDGE_ADDR: "localhost" } }).catch((e) => e)) as LoomError;
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('LOOM_BRIDGE_ADDR must be host:port (like "127.0.0.1:50051"), not "localhost"');
  });

  test("a typo in an agent's table is named with its hint; the agent's own keys are left alone", async () => {
    const dir = projectWith({ "loom.toml": '[agents.a]\nrestrat = "always"\ntopics = ["x"]\nmax_sources = 5\n' });
    const { warnings } = await loadProjectConfig(dir, { env: {} });
    expect(warnings.join("\n")).toMatch(/loom\.toml:2:1: unknown key `agents\.a\.restrat`: did you mean `restart`\?/);
    expect(warnings.join("\n")).not.toContain("max_sources");
  });

  test("typos of known keys are kept and warned about with their line", async () => {
    const dir = projectWith({ "loom.toml": '[dashboard]\nprot = 1\n[bridge]\nadress = "x"\n[llm.a]\nmodle = "m"\n[custom]\nanything = 1\n' });
    const p = await loadProjectConfig(dir, { env: {} });
    expect(p.config.dashboard.prot).toBe(1);
    expect(p.config.custom).toEqual({ anything: 1 });
    expect(p.warnings).toEqual([
      `${dir}/loom.toml:4:1: unknown key \`bridge.adress\`: did you mean \`address\`?`,
      `${dir}/loom.toml:2:1: unknown key \`dashboard.prot\`: did you mean \`port\`?`,
      `${dir}/loom.toml:6:1: unknown key \`llm.a.modle\`: did you mean \`model\`?`,
    ]);
  });

  test("base_url is the key; api_base is read as the same thing", async () => {
    const dir = projectWith({ "loom.toml": '[llm.a]\nbase_url = "http://a"\n[llm.b]\napi_base = "http://b"\n' });
    const { config } = await loadProjectConfig(dir, { env: {} });
    expect(config.llm.a!.base_url).toBe("http://a");
    expect(config.llm.b!.base_url).toBe("http://b");
    expect("api_base" in config.llm.b!).toBe(false);
  });
});

describe("LOOM_CONFIG (--config FILE): the configuration from elsewhere, the project where it runs", () => {
  test("the file is read wherever it is; the project directory and its .env stay the given directory", async () => {
    const mounted = writeTree(tempDir(), { "etc/loom.toml": 'name = "from-configmap"\n[dashboard]\nport = 4000\n' });
    const project = writeTree(tempDir(), { "loom.toml": 'name = "local"\n', ".env": "KEY=from-project\n" });
    const loaded = await loadProjectConfig(project, { env: { LOOM_CONFIG: join(mounted, "etc/loom.toml") } });
    expect(loaded.config.name).toBe("from-configmap");
    expect(loaded.config.dashboard.port).toBe(4000);
    expect(loaded.root).toBe(project);
    expect(loaded.file).toBe(join(mounted, "etc/loom.toml"));
    expect(loaded.env.KEY).toBe("from-project");
  });

  test("a LOOM_CONFIG that does not exist is exit 2 naming it", async () => {
    const error = (await loadProjectConfig(tempDir(), { env: { LOOM_CONFIG: "/nonexistent/loom.toml" } }).catch((e) => e)) as LoomError;
    expect(error).toBeInstanceOf(LoomError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("/nonexistent/loom.toml");
  });
});

describe("bad input: exit code 2 with file:line:column", () => {
  const cases: [string, string, RegExp][] = [
    ["TOML syntax", 'name = "x\n', /loom\.toml:1:\d+: TOML syntax error/],
    ["duplicate key", "a = 1\na = 2\n", /loom\.toml:2:\d+: TOML syntax error: Cannot redefine key 'a'/],
    ["port as text", '[dashboard]\nport = "abc"\n', /loom\.toml:2:8: `dashboard\.port` must be a whole number from 0 to 65535, not the string "abc"/],
    ["port too large", "[dashboard]\nport = 70000\n", /loom\.toml:2:8: `dashboard\.port` must be a whole number from 0 to 65535, not number 70000/],
    ["unknown mode", '[bridge]\nmode = "fast"\n', /loom\.toml:2:8: `bridge\.mode` must be one of "full", "bridge-only", not the string "fast"/],
    ["args not an array", '[mcp.s]\ncommand = "npx"\nargs = "x"\n', /loom\.toml:3:8: `mcp\.s\.args` must be an array of strings/],
    ["mcp without command", "[mcp.s]\nargs = []\n", /loom\.toml:1:1: `mcp\.s\.command` is missing: it must be the command that starts the server/],
    ["enabled as text", '[dashboard]\nenabled = "yes"\n', /loom\.toml:2:11: `dashboard\.enabled` must be true or false/],
    ["bad address", '[bridge]\naddress = "localhost"\n', /loom\.toml:2:11: `bridge\.address` must be host:port/],
    ["timeout zero", "[bridge]\ntimeout_sec = 0\n", /loom\.toml:2:15: `bridge\.timeout_sec` must be a number of at least 1/],
    ["llm not a table", 'llm = "x"\n', /loom\.toml:1:7: `llm` must be a table/],
    [
      "required variable",
      '[llm.a]\napi_key = "${KEY:?put your key in .env}"\n',
      /loom\.toml:2:11: required variable KEY is missing: put your key in \.env \(used in `llm\.a\.api_key`\)/,
    ],
    ["malformed variable", '[mcp.s]\ncommand = "x"\nargs = ["${A"]\n', /loom\.toml:3:8: unterminated `\$\{`.* in `mcp\.s\.args\[0\]`/],
    ["both base_url and api_base", '[llm.a]\nbase_url = "x"\napi_base = "y"\n', /loom\.toml:3:12: `llm\.a` sets both `base_url` and the older `api_base`/],
    // Each [agents.<id>] key loom reads (the issue's: restart = "sometimes" and replicas = 0 passed `loom config`).
    ["agent restart", '[agents.a]\nrestart = "sometimes"\n', /loom\.toml:2:11: `agents\.a\.restart` must be one of "on-failure", "always", "never", not the string "sometimes"/],
    ["agent replicas zero", "[agents.a]\nreplicas = 0\n", /loom\.toml:2:12: `agents\.a\.replicas` must be a whole number from 1 to 64, not number 0/],
    ["agent replicas fraction", "[agents.a]\nreplicas = 1.5\n", /loom\.toml:2:12: `agents\.a\.replicas` must be a whole number from 1 to 64/],
    ["agent delivery", '[agents.a]\ndelivery = "all"\n', /loom\.toml:2:12: `agents\.a\.delivery` must be one of "each", "shared", not the string "all"/],
    ["agent command empty", "[agents.a]\ncommand = []\n", /loom\.toml:2:11: `agents\.a\.command` must be a non-empty array of strings/],
    ["agent command text", '[agents.a]\ncommand = "python x.py"\n', /loom\.toml:2:11: `agents\.a\.command` must be a non-empty array of strings/],
    ["agent script", "[agents.a]\nscript = 1\n", /loom\.toml:2:10: `agents\.a\.script` must be a string/],
    ["agent enabled", '[agents.a]\nenabled = "no"\n', /loom\.toml:2:11: `agents\.a\.enabled` must be true or false/],
    ["agent env", '[agents.a]\nenv = "X=1"\n', /loom\.toml:2:7: `agents\.a\.env` must be a table of variables/],
    ["agent watch", '[agents.a]\nwatch = "prompts/**"\n', /loom\.toml:2:9: `agents\.a\.watch` must be an array of strings/],
    ["agent topics", '[agents.a]\ntopics = "x.*"\n', /loom\.toml:2:10: `agents\.a\.topics` must be an array of strings/],
    ["memory max_mb", "[memory]\nmax_mb = 0\n", /loom\.toml:2:10: `memory\.max_mb` must be a number from 1 to 1000000/],
  ];
  for (const [name, toml, message] of cases)
    test(name, async () => {
      const error = await loadError(toml);
      expect(error).toBeInstanceOf(LoomError);
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(message);
    });

  test("several problems are all reported", async () => {
    const error = await loadError('[dashboard]\nport = "a"\nhost = 1\n');
    expect(error.message).toContain("dashboard.port");
    expect(error.details.join("\n")).toContain("loom.toml:3:8: `dashboard.host` must be a string");
  });

  test("an unreadable file names the file", async () => {
    if (process.getuid?.() === 0) {
      const dir = projectWith({});
      writeTree(dir, { "loom.toml/inner": "" }); // a directory where the file should be
      const error = (await loadProjectConfig(dir, { env: {} }).catch((e) => e)) as LoomError;
      expect(error.message).toMatch(/cannot read configuration file .*loom\.toml: it is a directory/);
      expect(error.exitCode).toBe(2);
    } else {
      const dir = projectWith({ "loom.toml": "a = 1\n" });
      chmodSync(join(dir, "loom.toml"), 0o000);
      const error = (await loadProjectConfig(dir, { env: {} }).catch((e) => e)) as LoomError;
      expect(error.message).toMatch(/cannot read configuration file .*loom\.toml \(EACCES\)/);
    }
  });
});

describe("toEnvVars and redaction", () => {
  test("the runtime environment of the contract", async () => {
    const dir = projectWith({
      "loom.toml":
        '[bridge]\naddress = "127.0.0.1:6001"\n[dashboard]\nport = 4000\n[llm.first]\napi_key = "k"\nbase_url = "http://x"\nmodel = "m"\n[llm.second]\nmodel = "other"\n[mcp.fs]\ncommand = "npx"\nargs = ["-y", "fs"]\n[mcp.fs.env]\nTOKEN = "t"\n',
    });
    const { config } = await loadProjectConfig(dir, { env: {} });
    expect(toEnvVars(config, { OTEL_SERVICE_NAME: "mine" })).toEqual({
      LOOM_BRIDGE_ADDR: "127.0.0.1:6001",
      LOOM_DASHBOARD: "true",
      LOOM_DASHBOARD_HOST: "127.0.0.1",
      LOOM_DASHBOARD_PORT: "4000",
      LOOM_MCP_SERVERS: JSON.stringify({ fs: { command: "npx", args: ["-y", "fs"], env: { TOKEN: "t" } } }),
      VLLM_API_KEY: "k",
      VLLM_BASE_URL: "http://x",
      VLLM_MODEL: "m",
      VLLM_TEMPERATURE: "0.7",
      REQUEST_TIMEOUT_MS: "30000",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4317",
      OTEL_TRACE_SAMPLER: "always_on",
    });
    expect(toEnvVars({ ...config, bridge: { ...config.bridge, mode: "bridge-only" } }).LOOM_DASHBOARD).toBe("false");
  });

  test("the collector: [telemetry] wins, else the user's own OTEL endpoint; the protocol named, else gRPC's port says gRPC", async () => {
    const of = async (toml: string, env: Record<string, string>) => {
      const { config } = await loadProjectConfig(projectWith({ "loom.toml": toml }), { env: {} });
      const vars = toEnvVars(config, env);
      return [vars.LOOM_OTLP_ENDPOINT, vars.LOOM_OTLP_PROTOCOL];
    };
    expect(await of("", {})).toEqual([undefined, undefined]);
    expect(await of("", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4317" })).toEqual(["http://jaeger:4317", "grpc"]);
    expect(await of("", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318" })).toEqual(["http://jaeger:4318", "http/protobuf"]);
    expect(await of("", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:9", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })).toEqual(["http://c:9", "http/json"]);
    expect(await of('[telemetry]\notlp_endpoint = "http://mine:4318"\notlp_protocol = "grpc"\n', { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:9" })).toEqual([
      "http://mine:4318",
      "grpc",
    ]);
    const bad = (await loadProjectConfig(projectWith({ "loom.toml": '[telemetry]\notlp_protocol = "thrift"\n' }), { env: {} }).catch((e) => e)) as LoomError;
    expect(bad.message).toMatch(/loom\.toml:2:\d+.*otlp_protocol.*one of "http\/protobuf", "http\/json", "grpc"/s);
  });

  test("[bridge] shell_allow reaches the embedded Bridge as LOOM_SHELL_ALLOW; anything but plain command names is refused", async () => {
    const dir = projectWith({ "loom.toml": '[bridge]\nshell_allow = ["git", "ls", "tee"]\n' });
    const project = await loadProjectConfig(dir, { env: {} });
    expect(toEnvVars(project.config).LOOM_SHELL_ALLOW).toBe('["git","ls","tee"]');
    // Each entry that hands the caller more than its output is named, with its line.
    const warning = project.warnings.find((w) => w.includes("shell_allow"))!;
    expect(warning).toContain('"git" can run other programs');
    expect(warning).toContain('"tee" can write files anywhere');
    expect(warning).not.toContain('"ls"');
    expect(warning).toMatch(/loom\.toml:2:/);
    const upstream = await loadProjectConfig(projectWith({ "loom.toml": '[bridge]\nshell_allow = "upstream"\n' }), { env: {} });
    expect(JSON.parse(toEnvVars(upstream.config).LOOM_SHELL_ALLOW!)).toContain("python3");
    expect(upstream.warnings.join("\n")).toContain('"python3" can run other programs');
    for (const bad of ['"ls"', '"Upstream"', '["/bin/sh"]', '["ls -la"]', "[1]"]) {
      const error = await loadError(`[bridge]\nshell_allow = ${bad}\n`);
      expect(error.message).toContain("`bridge.shell_allow` must be an array of plain command names");
    }
  });

  test("secrets become *** (api_key, token, secret, password, every mcp env value)", async () => {
    const dir = projectWith({
      "loom.toml":
        '[llm.a]\napi_key = "sk-real"\nmodel = "m"\n[mcp.s]\ncommand = "c"\n[mcp.s.env]\nPLAIN = "also-hidden"\n[custom]\ngithub_token = "ghp"\nclient_secret = "cs"\ndb_password = "pw"\nvisible = "v"\n',
    });
    const { config } = await loadProjectConfig(dir, { env: {} });
    const shown = JSON.stringify(redactConfig(config));
    for (const secret of ["sk-real", "also-hidden", "ghp", '"cs"', '"pw"']) expect(shown).not.toContain(secret);
    expect(shown).toContain('"visible":"v"');
    expect(shown).toContain('"model":"m"');
    expect(shown).toContain('"max_tokens":2048');
    expect(config.llm.a!.api_key).toBe("sk-real"); // the original is untouched
  });

  test("credentials inside URLs and MCP args that hold an expanded secret are hidden too", async () => {
    const dir = projectWith({
      ".env": "BRAVE_API_KEY=bsk-123456\n",
      "loom.toml":
        '[llm.a]\nbase_url = "https://user:hunter22@llm.example/v1?api_key=abc123&model=x"\n[mcp.s]\ncommand = "npx"\nargs = ["--key", "${BRAVE_API_KEY}", "--x=${BRAVE_API_KEY}", "plain"]\n[workspace]\nhook = "https://ghp_tok3n@github.com/o/r?access_token=zz9&page=2"\n',
    });
    const { config } = await loadProjectConfig(dir, { env: {} });
    const shown = redactConfig(config);
    expect(shown.llm.a!.base_url).toBe("https://user:***@llm.example/v1?api_key=***&model=x");
    expect(shown.mcp.s!.args).toEqual(["--key", "***", "--x=***", "plain"]);
    expect((shown.workspace as { hook: string }).hook).toBe("https://***@github.com/o/r?access_token=***&page=2");
    expect(JSON.stringify(shown)).not.toMatch(/hunter22|abc123|bsk-123456|ghp_tok3n|zz9/);
  });
});
