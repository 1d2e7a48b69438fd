/**
 * Issue 8 through dist/loom: forged ledgers, racing commands, descendants that leave their group,
 * symlinks planted in .loom, a watchdog that dies. The cases where a mistake would signal the
 * whole machine run inside a pid namespace (`unshare --pid --fork --mount-proc`), so it cannot
 * escape the test.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { grpcHeartbeat } from "../../src/net/health";
import { isAlive, processStartTime } from "../../src/proc/identity";
import { cleanEnv, ensureBuilt } from "../helpers/loom";
import { LoomProcess, leftIn, loom, makeProject, poll, runtimeEnv } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const ledgerOf = (root: string) => JSON.parse(readFileSync(join(root, ".loom/state.json"), "utf8"));
const canUnshare = Bun.spawnSync(["unshare", "--pid", "--fork", "--mount-proc", "true"], { stderr: "ignore" }).exitCode === 0;
const isRoot = process.getuid?.() === 0;

function forgedLedger(root: string, children: Record<string, { pid: number; pgid: number; startTime?: string }>, extra: Record<string, unknown> = {}): string {
  mkdirSync(join(root, ".loom"), { recursive: true, mode: 0o700 });
  const entries = Object.fromEntries(Object.entries(children).map(([name, c]) => [name, { name, kind: "agent", state: "running", restarts: 0, logs: { out: "", err: "" }, ...c }]));
  const path = join(root, ".loom/state.json");
  writeFileSync(
    path,
    JSON.stringify({
      version: 1,
      root,
      runId: "f0f0",
      phase: "running",
      supervisor: { pid: 999999, startTime: "1", startedAt: Date.now(), detached: true },
      bridge: { address: "127.0.0.1:1", mode: "full" },
      logsDir: join(root, ".loom/logs"),
      children: entries,
      ...extra,
    }),
  );
  chmodSync(path, 0o600);
  return path;
}

describe("a forged ledger never gets a stranger signalled", () => {
  test.skipIf(!canUnshare)("in a pid namespace: a stranger's own group (real start time), another group, and pid 1 all survive loom down", async () => {
    const root = makeProject();
    const script = `
      set -m
      sleep 600 & S=$!
      sleep 601 & T=$!
      start() { cut -d')' -f2 /proc/$1/stat | awk '{print $20}'; }
      cat > .loom/state.json <<EOF
{"version":1,"root":"${root}","runId":"f0f0","phase":"running","supervisor":{"pid":$S,"startTime":"$(start $S)","startedAt":0,"detached":true},
 "bridge":{"address":"127.0.0.1:1","mode":"full"},"logsDir":"${root}/.loom/logs","children":{
 "stranger":{"name":"stranger","kind":"agent","state":"running","restarts":0,"logs":{"out":"","err":""},"pid":$S,"pgid":$S,"startTime":"$(start $S)"},
 "other-group":{"name":"other-group","kind":"agent","state":"running","restarts":0,"logs":{"out":"","err":""},"pid":$S,"pgid":$T,"startTime":"$(start $S)"},
 "init":{"name":"init","kind":"runtime","state":"running","restarts":0,"logs":{"out":"","err":""},"pid":1,"pgid":1,"startTime":"$(start 1)"},
 "everyone":{"name":"everyone","kind":"agent","state":"running","restarts":0,"logs":{"out":"","err":""},"pid":-1,"pgid":-1,"startTime":"x"}}}
EOF
      chmod 600 .loom/state.json
      "$LOOM" down --grace 1; echo "code=$?"
      kill -0 $S && echo "stranger alive"
      kill -0 $T && echo "other alive"
      echo "init alive"
      kill -9 $S $T
    `;
    mkdirSync(join(root, ".loom"), { mode: 0o700 });
    const p = Bun.spawn(["unshare", "--pid", "--fork", "--mount-proc", "bash", "-c", script], {
      cwd: root,
      env: cleanEnv({ LOOM: ensureBuilt() }),
      stdout: "pipe",
      stderr: "pipe",
      timeout: 30_000,
    });
    const [o, e] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    const out = o + e;
    expect(out).toContain("code=0");
    expect(out).toContain("stranger alive");
    expect(out).toContain("other alive");
    expect(out).toContain("init alive");
    expect(out).toMatch(/left alone stranger \(pid \d+ was not started by this loom/);
    expect(out).toMatch(/left alone other-group \(the recorded group \d+ is not led by pid \d+\)/);
    expect(out).toContain("left alone init (the recorded group 1 is not led by pid 1)");
    expect(out).not.toMatch(/success|stopped loom/i);
  });

  test("a ledger that is not mode 0600 (as a cloned repository gives it) is refused", async () => {
    const root = makeProject();
    const stranger = Bun.spawn(["sleep", "600"], { detached: true });
    try {
      const path = forgedLedger(root, { agent: { pid: stranger.pid, pgid: stranger.pid, startTime: processStartTime(stranger.pid) } });
      chmodSync(path, 0o644);
      const down = await loom(["down", "--grace", "1"], root);
      expect(down.code).toBe(0);
      expect(down.err).toContain(`ledger ${path} refused: its mode is 0644, not 0600; nothing it names was trusted`);
      expect(down.all).not.toMatch(/success|stopped/i);
      expect(isAlive(stranger.pid)).toBe(true);
      expect(existsSync(path)).toBe(true); // kept for the user to look at
    } finally {
      stranger.kill("SIGKILL");
    }
  });

  test.skipIf(!isRoot)("a ledger owned by another user is refused", async () => {
    const root = makeProject();
    const path = forgedLedger(root, {});
    chownSync(path, 65534, 65534);
    const s = await loom(["status"], root);
    expect(s.code).toBe(3);
    expect(s.out).toContain(`warning: ledger ${path} refused: it is owned by nobody, not by you`);
  });
});

describe("one loom per project", () => {
  test("four `loom up --detach` racing: exactly one wins, the others exit 4 saying it is already running", async () => {
    const root = makeProject();
    const runs = await Promise.all([0, 1, 2, 3].map(() => loom(["up", "--detach", "--verbose", ...FREE], root)));
    const codes = runs.map((r) => r.code).sort();
    for (const r of runs) if (r.code !== 0 && r.code !== 4) console.log(`unexpected exit ${r.code}:\n${r.all}`);
    expect(codes).toEqual([0, 4, 4, 4]);
    for (const r of runs.filter((r) => r.code === 4)) expect(r.err).toContain(`loom is already running in ${root}`);
    expect((await loom(["down"], root)).code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
  });

  test("a damaged ledger: status still finds the supervisor, up refuses, down stops everything", async () => {
    const root = makeProject(["idle.py"]);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const supervisor = ledgerOf(root).supervisor.pid;
    writeFileSync(join(root, ".loom/state.json"), '{"version": 1, "children": {');
    const live = await loom(["status"], root);
    expect(live.out).toContain(`(supervisor pid ${supervisor})`);
    expect(live.out).toMatch(/^idle\s+running/m); // the supervisor answered over its control socket
    rmSync(join(root, ".loom/control.sock")); // no control channel: the ledger file is the fallback
    const s = await loom(["status"], root);
    expect(s.out).toContain(`(supervisor pid ${supervisor})`);
    expect(s.out).toContain("ledger unreadable");
    const up = await loom(["up", "--detach", ...FREE], root);
    expect(up.code).toBe(4);
    expect(up.err).toContain(`loom is already running in ${root} (supervisor pid ${supervisor}`);
    expect((await loom(["down"], root)).code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
  });

  test("a copied project directory does not control the original", async () => {
    const root = makeProject();
    const up = await loom(["up", "--detach", ...FREE], root);
    expect(up.code).toBe(0);
    const address = /bridge\s+(\S+)/.exec(up.out)![1]!;
    const copy = join(tempDir(), "copy");
    expect(Bun.spawnSync(["cp", "-a", root, copy]).exitCode).toBe(0); // the control socket too, as a file nobody listens on
    const restart = await loom(["restart", "--runtime"], copy);
    expect(restart.code).toBe(3);
    expect(restart.err).toContain("its control socket is stale");
    const down = await loom(["down"], copy);
    expect(down.err).toContain(`it records the project ${root}, not this one`);
    expect((await grpcHeartbeat(address)).ok).toBe(true);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("a deleted project directory does not hide its processes from loom down --all", async () => {
    const state = tempDir();
    const root = makeProject(["idle.py"]);
    expect((await loom(["run", "--detach", ...FREE], root, { XDG_STATE_HOME: state })).code).toBe(0);
    const l = ledgerOf(root);
    const pids = [l.supervisor.pid, ...Object.values(l.children).map((c) => (c as { pid: number }).pid)];
    rmSync(root, { recursive: true, force: true });
    const down = await loom(["down", "--all", "--grace", "1"], tempDir(), { XDG_STATE_HOME: state });
    expect(down.code).toBe(0);
    await poll("every process gone", () => pids.every((p) => !isAlive(p)), 10_000);
  });
});

describe("no descendant survives", () => {
  test("children that leave their group (double fork + setsid, and a new session with an empty environment) are stopped, and loom down says so", async () => {
    const root = makeProject(["escape.py"]);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const pids = (await poll("escaped.pid", () => existsSync(join(root, "escaped.pid")) && readFileSync(join(root, "escaped.pid"), "utf8"))).split(" ").map(Number);
    expect(pids.every(isAlive)).toBe(true);
    const down = await loom(["down", "--grace", "1"], root);
    expect(down.code).toBe(0);
    expect(down.err).toMatch(/hunted down processes that had left their process group: .*sleep 60[01]/);
    for (const p of pids) expect(isAlive(p)).toBe(false);
  });

  test("with the supervisor and watchdog SIGKILLed, loom down hunts the escaped child by its run id", async () => {
    const root = makeProject(["escape.py"]);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const [escaped] = (await poll("escaped.pid", () => existsSync(join(root, "escaped.pid")) && readFileSync(join(root, "escaped.pid"), "utf8"))).split(" ").map(Number);
    const l = ledgerOf(root);
    process.kill(l.watchdog.pid, "SIGKILL");
    process.kill(l.supervisor.pid, "SIGKILL");
    const down = await loom(["down", "--grace", "1"], root);
    expect(down.code).toBe(0);
    expect(down.err).toContain(`pid ${escaped} (sleep 600)`);
    expect(isAlive(escaped!)).toBe(false);
  });
});

describe(".loom is private and never followed", () => {
  test("created 0700 whatever the umask; logs and preload 0600", async () => {
    const root = makeProject(["idle.ts"]);
    const proc = Bun.spawn(["sh", "-c", `umask 000; exec "$LOOM" run --detach ${FREE.join(" ")}`], {
      cwd: root,
      env: cleanEnv(runtimeEnv({ LOOM: ensureBuilt() })),
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(0);
    expect(statSync(join(root, ".loom")).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, ".loom/logs")).mode & 0o777).toBe(0o700);
    for (const f of ["logs/idle.log", "logs/core.err", "agent-preload.mjs", "state.json", "lock"]) expect(statSync(join(root, ".loom", f)).mode & 0o777).toBe(0o600);
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test(".loom as a symlink is refused (exit 2), nothing written through it", async () => {
    const root = makeProject();
    const elsewhere = tempDir();
    symlinkSync(elsewhere, join(root, ".loom"));
    const up = await loom(["up", "--detach", ...FREE], root);
    expect(up.code).toBe(2);
    expect(up.err).toContain(`refusing to use loom's state directory ${join(root, ".loom")}: it is a symbolic link`);
    expect(existsSync(join(elsewhere, "lock"))).toBe(false);
  });

  test("symlinks planted for a log and the preload are never written through", async () => {
    const root = makeProject(["idle.ts"]);
    const victim = join(tempDir(), "victim");
    writeFileSync(victim, "precious\n");
    mkdirSync(join(root, ".loom/logs"), { recursive: true, mode: 0o700 });
    symlinkSync(victim, join(root, ".loom/logs/idle.log"));
    symlinkSync(victim, join(root, ".loom/agent-preload.mjs"));
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    await poll("the refusal in the supervisor's log", () =>
      readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8").includes(`refusing to write ${join(root, ".loom/logs/idle.log")}: it is a symbolic link`),
    );
    expect(lstatSync(join(root, ".loom/agent-preload.mjs")).isFile()).toBe(true);
    const status = await loom(["status"], root);
    expect(status.out).toMatch(/idle +running/);
    expect(status.out).toMatch(/warning: \d+ log or ledger writes were dropped/);
    expect((await loom(["down"], root)).code).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
  });
});

describe("names", () => {
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ["the runtime's name", '[agents.core]\ncommand = ["sleep", "60"]\n', {}, /an agent cannot be named "core" \(\[agents\.core\]\): loom uses that name itself/],
    ["loom's own name, from a file", "", { "agents/loom.py": "" }, /an agent cannot be named "loom" \(agents\/loom\.py\)/],
    ["a path", '[agents."../../x"]\ncommand = ["sleep", "60"]\n', {}, /an agent cannot be named "\.\.\/\.\.\/x" .*names become log file names/],
  ];
  for (const [what, toml, files, message] of cases)
    test(`${what}: exit 2 before anything starts`, async () => {
      const root = makeProject([], toml, files);
      const r = await loom(["run", ...FREE], root);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(existsSync(join(root, "x.log"))).toBe(false);
      expect(await leftIn(root)).toEqual([]);
    });
});

describe("the watchdog", () => {
  test("is watched: when it dies the supervisor starts another, which still does its job", async () => {
    const root = makeProject(["idle.py"]);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    const first = ledgerOf(root).watchdog.pid;
    expect(readFileSync(`/proc/${first}/cmdline`, "utf8").startsWith("/bin/sh")).toBe(true);
    process.kill(first, "SIGKILL");
    const second = await poll("a new watchdog", () => ledgerOf(root).watchdog?.pid !== first && ledgerOf(root).watchdog?.pid);
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain(`the watchdog (pid ${first}) died; started another (pid ${second})`);
    process.kill(ledgerOf(root).supervisor.pid, "SIGKILL");
    expect(await leftIn(root, 5_000)).toEqual([]);
  });
});

describe("loom down reaches what runs", () => {
  test("--grace reaches the running supervisor", async () => {
    const root = makeProject(["ignore-term.py"]);
    expect((await loom(["run", "--detach", "--grace", "60", ...FREE], root)).code).toBe(0);
    await poll(
      "the agent's output",
      () => existsSync(join(root, ".loom/logs/ignore-term.log")) && readFileSync(join(root, ".loom/logs/ignore-term.log"), "utf8").includes("ignoring"),
    );
    const down = await loom(["down", "--grace", "1"], root);
    expect(down.code).toBe(0);
    expect(readFileSync(join(root, ".loom/logs/supervisor.log"), "utf8")).toContain("ignore-term did not stop within 1000 ms; killed it");
    expect(await leftIn(root)).toEqual([]);
  });

  test("a `loom up` still downloading is stopped by loom down, with a message", async () => {
    let asked = 0;
    const stall = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => {
        asked++;
        return new Promise<Response>(() => {});
      },
    });
    try {
      const root = makeProject();
      const up = new LoomProcess(["up", ...FREE], root, { LOOM_DOWNLOAD_BASE_URL: `http://127.0.0.1:${stall.port}`, LOOM_CACHE_DIR: join(tempDir(), "bin") });
      await poll("the download under way", () => asked > 0); // the lock is taken before it
      const down = await loom(["down"], root);
      expect(down.code).toBe(0);
      expect(down.err).toContain("stopped the loom that was still starting");
      expect(await up.exited).toBe(130);
      expect(up.err).toContain("stopped by SIGTERM while starting");
    } finally {
      stall.stop(true);
    }
  });
});

describe("exit codes as documented (README)", () => {
  test("run --detach exits 5 when an agent crash-loops in its first seconds, says why once, and keeps the rest running (as the foreground does)", async () => {
    const root = makeProject(["idle.py", "crash.py"]);
    // A Python behind a pyenv shim takes most of the default 500 ms just to start: settle longer.
    const r = await loom(["run", "--detach", ...FREE], root, { LOOM_DETACH_SETTLE_MS: "3000" });
    expect(r.code).toBe(5);
    expect(r.err).toContain("agent crash could not start: crash loop");
    expect(r.err.split("No module named 'loom'").length - 1).toBe(1);
    expect(r.err).toContain("the rest of the project runs");
    const status = JSON.parse((await loom(["status", "--json"], root)).out) as { processes: { name: string; state: string }[] };
    expect(Object.fromEntries(status.processes.map((p) => [p.name, p.state]))).toMatchObject({ idle: "running", crash: "crash-loop" });
    expect((await loom(["down"], root)).code).toBe(0);
    expect(await leftIn(root)).toEqual([]);
  });

  test("an agent with a syntax error: one report naming the first error and its line, not the cascade five times", async () => {
    const root = makeProject([], 'runtime = "embedded"\n', { "agents/broken.ts": "const x = { a: 1, b: { c: 2 };\nconsole.log(x.);\n" });
    const doctor = await loom(["doctor"], root);
    expect(doctor.code).toBe(5);
    expect(doctor.out).toMatch(/FAIL +agent broken +agents\/broken\.ts:1:30: Expected "}" but found ";" \(and \d+ more errors? after it\)/);
    const run = new LoomProcess(["run", ...FREE], root);
    await poll("the crash loop's report", () => run.out.includes("crash loop"), 20_000);
    run.signal("SIGINT");
    await run.exited;
    const lines = run.out.split("\n");
    expect(lines.filter((l) => l.includes('error: Expected "}" but found ";"')).length).toBe(2); // the first run's output, and the report
    expect(run.out).toContain("(the same");
    expect(run.out).toMatch(/the first error:\n.*\n.*\n.*error: Expected "}" but found ";"/);
    expect(run.out).toMatch(/hint: a syntax error at \S+broken\.ts:1:30/);
    expect(lines.length).toBeLessThan(60);
  });

  test("an interpreter that does not exist: exit 4 before anything starts", async () => {
    const root = makeProject(["idle.py"]);
    const r = await loom(["run", "--detach", ...FREE], root, { LOOM_PYTHON: "/nonexistent/python3" });
    expect(r.code).toBe(4);
    expect(r.err).toContain("cannot start agent idle: /nonexistent/python3 was not found");
    expect(await leftIn(root)).toEqual([]);
  });

  test("a dangling symlink in agents/ is exit 2 with the fix", async () => {
    const root = makeProject();
    mkdirSync(join(root, "agents"));
    symlinkSync("/nonexistent/agent.py", join(root, "agents/ghost.py"));
    const r = await loom(["run", ...FREE], root);
    expect(r.code).toBe(2);
    expect(r.err).toContain("agents/ghost.py is a symbolic link to nothing (/nonexistent/agent.py)");
  });

  test("a cache that cannot be written is exit 3 naming LOOM_CACHE_DIR", async () => {
    const root = makeProject();
    const file = join(tempDir(), "not-a-dir");
    writeFileSync(file, "");
    const r = await loom(["up", "--runtime", "native", ...FREE], root, { LOOM_CACHE_DIR: join(file, "bin") });
    expect(r.code).toBe(3);
    expect(r.err).toContain(`cannot write the runtime cache ${join(file, "bin")} (ENOTDIR)`);
    expect(r.err).toContain("LOOM_CACHE_DIR");
  });

  test("loom init on a file is exit 2", async () => {
    const file = join(tempDir(), "notes.txt");
    writeFileSync(file, "mine\n");
    const r = await loom(["init", file], tempDir());
    expect(r.code).toBe(2);
    expect(r.err).toContain("is a file, not a directory");
    expect(readFileSync(file, "utf8")).toBe("mine\n");
  });

  test("a detached start keeps the code of its own error (a bad LOOM_* number is 2)", async () => {
    const root = makeProject();
    const r = await loom(["up", "--detach", ...FREE], root, { LOOM_RESTART_BASE_MS: "soon" });
    expect(r.code).toBe(2);
    expect(r.err).toContain("LOOM_RESTART_BASE_MS");
  });

  test("status: 3 when not running, 5 when a process crash-loops, 0 when all is well", async () => {
    const root = makeProject(["idle.py"]);
    expect((await loom(["status"], root)).code).toBe(3);
    expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
    expect((await loom(["status"], root)).code).toBe(0);
    writeFileSync(join(root, "agents/late.py"), "import sys\nsys.exit(1)\n");
    expect((await loom(["down"], root)).code).toBe(0);
    const run = new LoomProcess(["run", ...FREE], root);
    await run.waitFor("late: crash loop");
    expect((await loom(["status"], root)).code).toBe(5);
    run.signal("SIGTERM");
    await run.exited;
  });
});

describe("output", () => {
  test("`loom run | head` exits quietly and stops everything", async () => {
    const root = makeProject([], "", { "agents/chatty.py": 'import time\nfor i in range(100000):\n    print("line", i, flush=True)\n    time.sleep(0.002)\n' });
    const sh = Bun.spawn(["bash", "-c", `"$LOOM" run ${FREE.join(" ")} | head -n 5; echo "loom=\${PIPESTATUS[0]}"`], {
      cwd: root,
      env: cleanEnv(runtimeEnv({ LOOM: ensureBuilt() })),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err] = await Promise.all([new Response(sh.stdout).text(), new Response(sh.stderr).text(), sh.exited]);
    expect(out).toContain("loom=0");
    expect(err).not.toMatch(/EPIPE|error/i);
    expect(await leftIn(root)).toEqual([]);
  });
});

describe("a full disk", () => {
  const canMount = isRoot && Bun.spawnSync(["unshare", "--mount", "true"], { stderr: "ignore" }).exitCode === 0;
  test.skipIf(!canMount)("logs on a full filesystem: the supervisor keeps supervising, counts what it dropped, and the agent never dies of a broken pipe", async () => {
    const flood = 'import os, time\nfor i in range(20000):\n    print("x" * 100, i, flush=True)\nopen("flood.done", "w").write("ok")\nwhile True:\n    time.sleep(1)\n';
    const root = makeProject(["idle.py"], "", { "agents/flood.py": flood });
    mkdirSync(join(root, "tiny"));
    // A private mount namespace: a 256 KB tmpfs under the logs, seen only by this loom and its children.
    const script = `
      mount -t tmpfs -o size=256k tmpfs tiny || exit 99
      "$LOOM" run --detach --logs-dir tiny ${FREE.join(" ")} || exit 98
      for i in $(seq 200); do [ -f flood.done ] && break; sleep 0.05; done
      "$LOOM" status; echo "status=$?"
      "$LOOM" down --grace 1; echo "down=$?"
    `;
    // Async: the release server answering the download lives in this test process.
    const p = Bun.spawn(["unshare", "--mount", "--propagation", "private", "bash", "-c", script], {
      cwd: root,
      env: cleanEnv(runtimeEnv({ LOOM: ensureBuilt() })),
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
    });
    const [o, e] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    const out = o + e;
    expect(existsSync(join(root, "flood.done"))).toBe(true);
    expect(out).toMatch(/flood +running/);
    expect(out).toMatch(/idle +running/);
    expect(out).toMatch(/warning: \d+ log or ledger writes were dropped \(last: cannot write .*the disk is full|ENOSPC/);
    expect(out).toContain("status=0");
    expect(out).toContain("down=0");
    expect(await leftIn(root)).toEqual([]);
  });
});

describe("the subreaper", () => {
  test("orphans adopted by the supervisor that exit are reaped, not left as zombies", async () => {
    // The orphan records its pid and exits 200 ms later; while it is a zombie, /proc/<pid> stays.
    const daemon =
      'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        open("orphan.pid", "w").write(str(os.getpid()))\n        time.sleep(0.2)\n        os._exit(0)\n    os._exit(0)\nos.wait()\nwhile True:\n    time.sleep(1)\n';
    const root = makeProject([], "", { "agents/daemon.py": daemon });
    expect((await loom(["run", "--detach", ...FREE], root, { LOOM_LIVENESS_INTERVAL_MS: "100" })).code).toBe(0);
    const orphan = Number(await poll("orphan.pid", () => existsSync(join(root, "orphan.pid")) && readFileSync(join(root, "orphan.pid"), "utf8")));
    await poll(`pid ${orphan} reaped`, () => !existsSync(`/proc/${orphan}`), 5_000);
    expect((await loom(["down"], root)).code).toBe(0);
  });
});
