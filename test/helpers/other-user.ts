/**
 * A throwaway local user for the tests that play another uid (CI runs as root): made with
 * `useradd`, used with `runuser`, removed with `userdel` when the file ends. Unavailable (the
 * tests skip, saying why) when not root or without those tools.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import { ensureBuilt } from "./loom";

export function otherUserUnavailable(): string | undefined {
  if (process.platform !== "linux") return "Linux only";
  if (process.getuid?.() !== 0) return "needs root to make a throwaway user";
  for (const tool of ["useradd", "userdel", "runuser"]) if (!Bun.which(tool, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` })) return `${tool} is missing`;
  return undefined;
}

export interface OtherUser {
  name: string;
  uid: number;
  /** A copy of dist/loom that user can run, and a home of theirs. */
  loom: string;
  home: string;
  run(argv: string[], options?: { cwd?: string; timeoutMs?: number }): Promise<{ code: number; out: string; err: string }>;
  remove(): void;
}

const sbin = (tool: string) => Bun.which(tool, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` })!;

export function makeOtherUser(): OtherUser {
  const name = `loomt${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const made = Bun.spawnSync([sbin("useradd"), "-M", "-s", "/bin/sh", name], { stderr: "pipe" });
  if (made.exitCode !== 0) throw new Error(`useradd failed: ${made.stderr.toString()}`);
  const uid = Number(Bun.spawnSync(["id", "-u", name]).stdout.toString().trim());
  const dir = mkdtempSync(join(tmpdir(), "loom-other-"));
  chmodSync(dir, 0o755);
  const loom = join(dir, "loom");
  copyFileSync(ensureBuilt(), loom);
  chmodSync(loom, 0o755);
  const home = join(dir, "home");
  Bun.spawnSync(["install", "-d", "-o", name, "-m", "700", home]);
  return {
    name,
    uid,
    loom,
    home,
    async run(argv, options = {}) {
      const proc = Bun.spawn([sbin("runuser"), "-u", name, "--", "env", `HOME=${home}`, "NO_COLOR=1", `PATH=${process.env.PATH}`, ...argv], {
        cwd: options.cwd ?? dir,
        stdout: "pipe",
        stderr: "pipe",
        stdin: "ignore",
        timeout: options.timeoutMs ?? 20_000,
      });
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      return { code, out, err };
    },
    remove() {
      Bun.spawnSync(["pkill", "-KILL", "-u", name]);
      Bun.spawnSync([sbin("userdel"), name]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
