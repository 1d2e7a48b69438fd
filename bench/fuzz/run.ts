/**
 * Generated input in bulk through dist/loom (issue 20), counting what comes back:
 * - process runs, each a fresh `loom`: mutated loom.toml + .env + LOOM_* variables under `loom
 *   config` and `loom doctor`; command lines made from each command's --help; `loom install`
 *   against a release server that lies;
 * - requests to a running project (`loom run --detach`, embedded Bridge, full mode): Bridge gRPC
 *   messages, dashboard HTTP requests, then control-socket lines.
 * The goal: no exit 1 / "bug in loom", no hang past the deadline, the runtime never restarted.
 * Found inputs are written to a JSON file for test/fuzz/corpus.json. Run as root, the process runs
 * take a throwaway user that owns only the bench's directory (a generated `loom init /` must not
 * write to /); the running project's inputs are requests, which name no path loom writes.
 *
 * Run: bun run build && bun bench/fuzz/run.ts [--n 100000] [--seed 42] [--jobs 3] [--examples]
 * (--examples prints the first message seen for each kind of result)
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import fc from "fast-check";
import { controlSocketPath } from "../../src/state/control";
import { argvOf, dotenvText, envVars, flagsOf, tomlText } from "./inputs";
import { lie, serveLies } from "./lying-server";
import { Tally, pool, runOnce, sandboxUser } from "./processes";
import { askControl, bridgeFuzzer, bridgeInput, controlInput, httpInput } from "./servers";
import { LOOM, numberFlag, table } from "../lib";

const N = numberFlag("n", 100_000);
const SEED = numberFlag("seed", 42);
const JOBS = numberFlag("jobs", 3);
const share = (f: number) => Math.max(1, Math.round(N * f));
const PLAN = { config: share(0.05), flags: share(0.035), install: share(0.015), bridge: share(0.5), http: share(0.1), control: 0 };
PLAN.control = N - Object.values(PLAN).reduce((a, b) => a + b, 0);
const sample = <T>(a: fc.Arbitrary<T>, n: number, salt: number) => fc.sample(a, { numRuns: n, seed: SEED + salt });

const work = mkdtempSync(join(tmpdir(), "loom-fuzz-"));
// Loopback only: the Bridge's tools that fetch are pointed at a port nothing listens on.
const nowhere = "http://127.0.0.1:1";
const base = {
  VLLM_BASE_URL: nowhere,
  LOOM_WEATHER_URL: nowhere,
  LOOM_GEOCODING_URL: nowhere,
  LOOM_WEB_SEARCH_URL: nowhere,
  PATH: process.env.PATH!,
  HOME: join(work, "home"),
  NO_COLOR: "1",
  XDG_STATE_HOME: join(work, "state"),
  LOOM_CACHE_DIR: join(work, "cache"),
  LOOM_RETRY_BASE_MS: "1",
  LOOM_DOWNLOAD_RETRIES: "1",
  LOOM_CONNECT_TIMEOUT_SEC: "0.5",
  LOOM_DOWNLOAD_TIMEOUT_SEC: "0.5",
  LOOM_DOWNLOAD_DEADLINE_SEC: "5",
};
mkdirSync(base.HOME);
const user = sandboxUser(work);
const lies = sample(lie, PLAN.install, 3);
const server = serveLies(lies);
const tally = new Tally();
const DEADLINE_MS = 30_000;
const started = performance.now();

async function inFreshDir(files: Record<string, string>, work2: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(work, "p-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  if (user) for (const path of [dir, ...Object.keys(files).map((f) => join(dir, f))]) chownSync(path, user.uid, user.gid);
  try {
    await work2(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  // 1. Configuration: a project directory per input.
  const configs = sample(fc.record({ toml: tomlText, dotenv: dotenvText, env: envVars, doctor: fc.nat({ max: 4 }).map((n) => n === 0) }), PLAN.config, 1);
  await tally.timed("config", () =>
    pool(configs, JOBS, (c) =>
      inFreshDir({ "loom.toml": c.toml, ".env": c.dotenv }, async (dir) => {
        const argv = c.doctor ? ["doctor"] : ["config"];
        const o = await runOnce(argv, dir, { ...base, LOOM_DOWNLOAD_BASE_URL: `${server.url}/none`, ...c.env }, DEADLINE_MS, user);
        tally.add("config", `${argv[0]} ${o.result}`, o.bug, c, o.stderr);
      }),
    ),
  );
  // 2. Command lines, in a valid project that is not running.
  const flags = await flagsOf(async (argv) => await new Response(Bun.spawn([LOOM, ...argv], { stdout: "pipe", env: base }).stdout).text());
  const argvs = sample(argvOf(flags), PLAN.flags, 2);
  await tally.timed("flags", () =>
    pool(argvs, JOBS, (argv) =>
      inFreshDir({ "loom.toml": '[bridge]\nruntime = "embedded"\n[agents.a]\ncommand = ["sleep", "600"]\n' }, async (dir) => {
        const o = await runOnce(argv, dir, { ...base, LOOM_DOWNLOAD_BASE_URL: `${server.url}/none` }, DEADLINE_MS, user);
        tally.add("flags", `${argv[0]} ${o.result}`, o.bug, argv, o.stderr);
      }),
    ),
  );
  // 3. Downloads from a server that lies, one lie per run.
  await tally.timed("install", () =>
    pool(lies, JOBS, (l, i) =>
      inFreshDir({ "loom.toml": '[bridge]\nruntime = "native"\n' }, async (dir) => {
        const o = await runOnce(
          ["install", "--mode", "all"],
          dir,
          { ...base, LOOM_CACHE_DIR: join(dir, "cache"), LOOM_DOWNLOAD_BASE_URL: `${server.url}/${i}` },
          DEADLINE_MS,
          user,
        );
        tally.add("install", o.result, o.bug, l, o.stderr);
      }),
    ),
  );
  await fuzzRunningProject();
} finally {
  server.stop();
  user?.remove();
  const seconds = (performance.now() - started) / 1000;
  report(seconds);
  rmSync(work, { recursive: true, force: true });
}

async function fuzzRunningProject(): Promise<void> {
  const root = join(work, "running");
  mkdirSync(root);
  writeFileSync(join(root, "loom.toml"), '[bridge]\nruntime = "embedded"\n[agents.a]\ncommand = ["sleep", "100000"]\n[agents.b]\ncommand = ["sleep", "100000"]\n');
  const loom = (argv: string[]) => Bun.spawn([LOOM, ...argv], { cwd: root, env: base, stdout: "pipe", stderr: "pipe" });
  const up = loom(["run", "--detach", "--bridge-port", "0", "--dashboard-port", "0"]);
  if ((await up.exited) !== 0) throw new Error(`loom run --detach failed: ${await new Response(up.stderr).text()}`);
  const ledger = JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
  const runtimePid = () =>
    JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8")).children.core?.pid ?? JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8")).children.bridge?.pid;
  const before = runtimePid();
  try {
    const bridge = bridgeFuzzer(ledger.bridge.address);
    await tally.timed("bridge", () =>
      pool(sample(bridgeInput, PLAN.bridge, 4), 16, async (input) => {
        const v = await bridge.send(input as never, 10_000);
        tally.add("bridge", `${input.kind} ${v.result}`, v.bug, input, v.detail);
      }),
    );
    bridge.close();
    const dashboard = new URL(ledger.dashboard);
    const own = dashboard.host;
    const session = await fetch(new URL("/api/loom/session", dashboard), { headers: { origin: dashboard.origin } });
    const token = session.ok ? ((await session.json()) as { token?: string }).token : undefined;
    await tally.timed("http", () =>
      pool(sample(httpInput, PLAN.http, 5), 16, async (r) => {
        const headers: Record<string, string> = { host: r.host === "own" ? own : r.host };
        if (r.origin) headers.origin = r.origin === "own" ? dashboard.origin : r.origin;
        if (r.token) headers["x-loom-token"] = r.token === "own" ? (token ?? "") : "wrong";
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), 10_000);
        const verdict = await fetch(`${dashboard.origin}${r.path}`, {
          method: r.method,
          headers,
          body: ["GET", "HEAD"].includes(r.method) ? undefined : r.body,
          signal: abort.signal,
        })
          .then(
            async (res) => {
              // An event stream never ends: its headers are the answer.
              if (res.headers.get("content-type")?.startsWith("text/event-stream")) abort.abort();
              else await res.arrayBuffer();
              return { result: String(res.status), bug: res.status >= 500 && res.status !== 503 };
            },
            (e: Error) => ({ result: e.name, bug: true, detail: e.message }),
          )
          .finally(() => clearTimeout(timer));
        tally.add("http", `${r.method} ${verdict.result}`, verdict.bug, r, "detail" in verdict ? verdict.detail : "");
      }),
    );
    if (runtimePid() !== before) tally.add("bridge", "runtime restarted", true, "after bridge+http", "");
    const socket = controlSocketPath(root)!;
    await tally.timed("control", () =>
      pool(sample(controlInput, PLAN.control, 6), 8, async (line) => {
        const v = await askControl(socket, line, 30_000);
        tally.add("control", v.result, v.bug, line, v.detail);
      }),
    );
    const status = loom(["status", "--json"]);
    const code = await status.exited;
    tally.add("control", `status afterwards: exit ${code}`, code !== 0 && code !== 1, "loom status", await new Response(status.stderr).text());
  } finally {
    await loom(["down"]).exited;
  }
}

function report(seconds: number): void {
  const rows: (string | number)[][] = [["category", "inputs", "seconds", "results"]];
  for (const [category, counts] of tally.counts)
    rows.push([
      category,
      tally.total(category),
      ((tally.ms.get(category) ?? 0) / 1000).toFixed(0),
      [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k}: ${v}`)
        .join(", "),
    ]);
  console.log(table(rows));
  if (process.argv.includes("--examples")) for (const [k, v] of tally.examples) console.log(`${k}: ${JSON.stringify(v)}`);
  console.log(`\n${tally.total()} inputs in ${seconds.toFixed(0)} s (seed ${SEED}); bugs: ${tally.bugs.length}`);
  if (tally.bugs.length) {
    const out = join(tmpdir(), `loom-fuzz-found-${SEED}.json`);
    writeFileSync(out, JSON.stringify(tally.bugs, null, 2));
    console.log(`found inputs written to ${out}`);
    process.exitCode = 1;
  }
}
