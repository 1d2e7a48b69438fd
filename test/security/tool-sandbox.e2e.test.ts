/**
 * The tools' sandbox (docs/security.md "The tools' sandbox"), attacked as a prompt-injected model
 * would through `loom call`: with the default shell list, `system:shell` reads neither `.env` nor
 * the Bridge's environment through /proc, nor anything outside the project, even when loom runs
 * as root; where Landlock is missing the default list holds no command that reads files.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { SHELL_CONCURRENCY } from "../../src/bridge/limits";
import { sandboxGrants } from "../../src/bridge/tools/sandbox";
import { OUTPUT_LIMIT, shellTool } from "../../src/bridge/tools/shell";
import { landlockAbi } from "../../src/system/landlock";
import { ROOT } from "../helpers/loom";
import { makeOtherUser, otherUserUnavailable } from "../helpers/other-user";
import { loom, makeProject } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
const SECRET = "sk-dotenv-0123456789";
const LANDLOCK = landlockAbi() > 0;

function project() {
  const outside = tempDir();
  writeFileSync(join(outside, "id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  const root = makeProject([], 'runtime = "embedded"\n[llm.local]\napi_key = "${KEY}"\n', {
    ".env": `KEY=${SECRET}\n`,
    "notes.txt": "meeting at noon\n",
    "sub/.env.local": `KEY=${SECRET}\n`,
    "sub/plan.md": "step one\n",
  });
  return { root, outside };
}

async function shell(root: string, command: string, args: string[], env: Record<string, string> = {}) {
  const r = await loom(["call", "system:shell", JSON.stringify({ command, args })], root, env);
  let output: { stdout: string; stderr: string; exit_code: number | null } | undefined;
  try {
    output = JSON.parse(r.out);
  } catch {}
  return { ...r, output };
}

/** The embedded Bridge's pid: the process running `loom __bridge` in the project. */
function bridgePid(root: string): number {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p)))
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("__bridge") && readlinkSync(`/proc/${pid}/cwd`) === root) return Number(pid);
    } catch {}
  throw new Error(`no embedded Bridge runs for ${root}`);
}

describe("system:shell in the tools' sandbox", () => {
  test.skipIf(!LANDLOCK)("the default list reads the project, but not .env, the Bridge's environment or the home directory", async () => {
    const { root, outside } = project();
    expect((await loom(["up", "--detach", ...FREE], root)).code).toBe(0);
    const pid = bridgePid(root);
    expect((await shell(root, "cat", ["notes.txt"])).output?.stdout).toBe("meeting at noon\n");
    expect((await shell(root, "cat", ["sub/plan.md"])).output?.stdout).toBe("step one\n");
    for (const [command, args] of [
      ["cat", [".env"]],
      ["cat", ["sub/.env.local"]],
      ["cat", [`/proc/${pid}/environ`]],
      ["cat", ["/proc/self/cwd/.env"]],
      ["cat", [`/proc/${pid}/cwd/.env`]],
      ["grep", ["-r", "KEY", "."]],
      ["cat", [join(outside, "id_ed25519")]],
      ["cat", ["loom.toml"]],
      ["ps", ["eww", "-p", String(pid)]],
    ] as const) {
      const r = await shell(root, command, [...args]);
      expect(r.all, `${command} ${args.join(" ")}`).not.toContain(SECRET);
      expect(r.all, `${command} ${args.join(" ")}`).not.toContain("PRIVATE KEY");
    }
    expect((await shell(root, "cat", [".env"])).output?.stderr).toContain("Permission denied");
    expect((await shell(root, "cat", [`/proc/${pid}/cmdline`])).output?.stderr).toContain("Permission denied");
    expect((await shell(root, "ps", ["-e"])).output?.stdout).not.toContain("loom");
    expect((await shell(root, "free", [])).output?.stdout).toContain("Mem:"); // the system's figures stay readable
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("the embedded Bridge's secrets are not in its environment: the supervisor hands them over its standard input", async () => {
    const { root } = project();
    expect((await loom(["up", "--detach", ...FREE], root)).code).toBe(0);
    const environ = readFileSync(`/proc/${bridgePid(root)}/environ`, "utf8");
    expect(environ).not.toContain(SECRET);
    expect(environ).toContain("LOOM_PRIVATE_ENV=stdin");
    expect((await loom(["down"], root)).code).toBe(0);
  });

  test("without Landlock, the default list has no command that reads files", async () => {
    const { root } = project();
    expect((await loom(["up", "--detach", ...FREE], root, { LOOM_SANDBOX: "off" })).code).toBe(0);
    for (const command of ["cat", "grep", "head", "ps"]) {
      const r = await shell(root, command, [".env"]);
      expect(r.err, command).toContain(`Command '${command}' is not allowed`);
      expect(r.all).not.toContain(SECRET);
    }
    expect((await shell(root, "ls", ["sub"])).output?.stdout).toBe("plan.md\n");
    expect((await loom(["down"], root)).code).toBe(0);
  });
});

describe.skipIf(!LANDLOCK || Boolean(otherUserUnavailable()))("as a non-root owner (a throwaway user)", () => {
  test("the owner's Bridge: cat .env, its environment and the home directory are refused; the owner's files still read", async () => {
    const user = makeOtherUser();
    try {
      const root = join(user.home, "proj");
      await user.run(["mkdir", "-p", join(root, "agents")]);
      await user.run(
        [
          "sh",
          "-c",
          `printf 'name = "p"\n[bridge]\nruntime = "embedded"\n[llm.local]\napi_key = "\${KEY}"\n' > loom.toml && printf 'KEY=${SECRET}\n' > .env && echo hello > notes.txt && echo key > ../id_ed25519`,
        ],
        { cwd: root },
      );
      expect((await user.run([user.loom, "up", "--detach", ...FREE], { cwd: root })).code).toBe(0);
      const call = async (args: string[]) => user.run([user.loom, "call", "system:shell", JSON.stringify({ command: "cat", args })], { cwd: root });
      expect((await call(["notes.txt"])).out).toContain("hello");
      const pid = bridgePid(root);
      for (const target of [".env", `/proc/${pid}/environ`, "/proc/self/cwd/.env", join(user.home, "id_ed25519")]) {
        const r = await call([target]);
        expect(`${r.out}${r.err}`, target).not.toContain(SECRET);
        expect(r.out, target).toContain("Permission denied");
      }
      expect((await user.run([user.loom, "down"], { cwd: root })).code).toBe(0);
    } finally {
      user.remove();
    }
  });
});

describe.skipIf(!LANDLOCK || !existsSync("/usr/bin/python3"))("an MCP server with sandbox = true", () => {
  test("runs, reads the project, but neither .env nor the home directory", async () => {
    const { root, outside } = project();
    const server = join(root, "tools/mcp-sandboxed.py");
    mkdirSync(join(root, "tools"));
    copyFileSync(join(ROOT, "test/fixtures/mcp-sandboxed.py"), server);
    writeFileSync(join(root, "loom.toml"), `${readFileSync(join(root, "loom.toml"), "utf8")}[mcp.box]\ncommand = "/usr/bin/python3"\nargs = ["${server}"]\nsandbox = true\n`);
    expect((await loom(["up", "--detach", ...FREE], root)).code).toBe(0);
    const read = async (path: string) => JSON.parse((await loom(["call", "box:read", JSON.stringify({ path })], root)).out)[0].text as string;
    expect(await read("notes.txt")).toBe("meeting at noon\n");
    expect(await read(".env")).toBe("error: Permission denied");
    expect(await read(join(outside, "id_ed25519"))).toBe("error: Permission denied");
    expect((await loom(["down"], root)).code).toBe(0);
  });
});

describe("system:shell's bounds", () => {
  const run = (tool: ReturnType<typeof shellTool>, command: string, args: string[]) =>
    tool.call({ command, args }, AbortSignal.timeout(30_000)) as Promise<{ stdout: string; exit_code: number | null }>;

  test("an endless output is cut at OUTPUT_LIMIT and the command stopped, not read until the deadline", async () => {
    const tool = shellTool(tempDir(), ["cat"]);
    const r = await run(tool, "cat", ["/dev/zero"]);
    expect(r.stdout.length).toBeLessThan(OUTPUT_LIMIT + 200);
    expect(r.stdout).toContain(`[output cut at ${OUTPUT_LIMIT} bytes; the command was stopped]`);
    expect(r.exit_code).toBeNull(); // killed
  });

  test("at most SHELL_CONCURRENCY commands run at once; the others wait their turn and all answer", async () => {
    const tool = shellTool(tempDir(), ["sleep"]);
    const children = () =>
      readdirSync("/proc").filter(
        (p) =>
          /^\d+$/.test(p) &&
          (() => {
            try {
              const stat = readFileSync(`/proc/${p}/stat`, "utf8");
              return stat.includes("(sleep)") && stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] === String(process.pid);
            } catch {
              return false;
            }
          })(),
      ).length;
    let most = 0;
    const all = Promise.all(Array.from({ length: 3 * SHELL_CONCURRENCY }, () => run(tool, "sleep", ["0.2"])));
    let done = false;
    void all.then(() => (done = true));
    while (!done) {
      most = Math.max(most, children());
      await Bun.sleep(10);
    }
    expect((await all).every((r) => r.exit_code === 0)).toBe(true);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(SHELL_CONCURRENCY);
  });
});

describe("the sandbox's rules", () => {
  test("the project less its secrets: a directory with a secret is granted entry by entry", () => {
    const { root } = project();
    const paths = sandboxGrants({ root, writable: ["workspace"], network: false }).map((g) => g.path);
    expect(paths).toContain(join(root, "notes.txt"));
    expect(paths).toContain(join(root, "sub/plan.md"));
    expect(paths.some((p) => p.endsWith(".env") || p.endsWith(".env.local") || p.endsWith("loom.toml"))).toBe(false);
    expect(paths.some((p) => p === "/root" || p === process.env.HOME)).toBe(false);
    expect(paths).toContain(join(root, "workspace"));
  });
});
