/**
 * The README's main-job command (`npm run demo`): `loom run` on the sample project in
 * examples/demo (Python and TypeScript agents) with the embedded Bridge, so nothing is downloaded
 * and no mirror is needed: readiness, agents, a restart, `loom status`, `loom logs`, a Heartbeat
 * and a tool call through the Bridge (`loom ping`, `loom call`), a request answered by the
 * TypeScript agent through loom's SDK (`loom pub --reply`), the dashboard page's URL, then Ctrl+C
 * and a check that nothing is left running.
 */
import { cpSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";

const ROOT = resolve(import.meta.dir, "..");
const loom = join(ROOT, "dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-demo-"));
const project = join(work, "demo");
cpSync(join(ROOT, "examples/demo"), project, { recursive: true });

const env = {
  ...process.env,
  LOOM_CACHE_DIR: join(work, "cache"),
  XDG_STATE_HOME: join(work, "state"),
};

async function show(args: string[]): Promise<void> {
  console.log(`\n$ loom ${args.join(" ")}`);
  const p = Bun.spawn([loom, ...args], { cwd: project, env, stdout: "inherit", stderr: "inherit" });
  await p.exited;
}

function left(): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`) === project;
      } catch {
        return false;
      }
    })
    .map(Number);
}

let code = 1;
try {
  console.log(`\n$ loom run   (in a copy of examples/demo; Ctrl+C comes after a few seconds)`);
  const run = Bun.spawn([loom, "run", "--bridge-port", "0", "--dashboard-port", "0"], { cwd: project, env, stdout: "inherit", stderr: "inherit" });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = Bun.spawnSync([loom, "status", "--json"], { cwd: project, env });
    const status = s.exitCode === 0 ? JSON.parse(s.stdout.toString()) : undefined;
    const procs: { state: string; restarts: number }[] = status?.processes ?? [];
    if (procs.length === 4 && procs.every((p) => p.state === "running") && procs.some((p) => p.restarts > 0)) break;
    if (Date.now() > deadline) throw new Error("the demo did not come up in 30 s");
    await Bun.sleep(100);
  }
  await Bun.sleep(2500);
  await show(["status"]);
  await show(["logs", "flaky", "-n", "3"]);
  await show(["ping", "-c", "1"]);
  await show(["call", "fs:list_dir", '{"path": "agents"}']);
  await show(["pub", "draft.request", '{"subject": "agents"}', "--reply"]);
  const dashboard = JSON.parse(Bun.spawnSync([loom, "status", "--json"], { cwd: project, env }).stdout.toString()).dashboard;
  const page = await fetch(dashboard).then((r) => r.text());
  console.log(`\nthe dashboard page: ${dashboard} (${(page.length / 1024).toFixed(1)} KB; open it while the demo runs)`);
  console.log("\n(sending Ctrl+C to loom run)");
  run.kill("SIGINT");
  code = await run.exited;
  console.log(`\nloom run exited with ${code} (130: interrupted); processes left running: ${left().length}`);
  code = code === 130 && left().length === 0 ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
