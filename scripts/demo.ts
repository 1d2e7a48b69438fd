/**
 * The README's main-job command (`npm run demo`): a new project made by `loom init`, then its
 * resolved configuration, through the compiled executable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";

const loom = resolve(import.meta.dir, "../dist/loom");
const dir = join(mkdtempSync(join(tmpdir(), "loom-demo-")), "demo-project");

function step(args: string[]): void {
  console.log(`\n$ loom ${args.join(" ")}`);
  const r = Bun.spawnSync([loom, ...args], { cwd: dir.replace(/\/demo-project$/, ""), stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    process.exit(r.exitCode ?? 1);
  }
}

try {
  step(["--version"]);
  step(["init", dir]);
  step(["config", "--project", dir]);
} finally {
  rmSync(join(dir, ".."), { recursive: true, force: true });
}
