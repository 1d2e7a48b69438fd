/**
 * system:shell: runs one command from an explicit allow-list (`[bridge] shell_allow`, passed as
 * LOOM_SHELL_ALLOW; config/shell.ts has the default and upstream's), with its arguments as given: no shell parses them, so `;`, `|` or `$(...)`
 * are plain characters. It runs in the project directory, with only PATH, HOME, the locale, TZ and
 * TMPDIR of the Bridge's environment (never its secrets), and is killed at the call's deadline.
 * Output as upstream: {stdout, stderr, exit_code}; each stream is cut at OUTPUT_LIMIT, and the
 * command stopped there. At most SHELL_CONCURRENCY run at once. On Linux with Landlock each runs in
 * the tools' sandbox (sandbox.ts): it cannot read the project's secrets or another process's memory.
 */
import { DEFAULT_SHELL_ALLOW, shellAllowList, UNCONFINED_SHELL_ALLOW } from "../../config/shell";
import { SHELL_CONCURRENCY, SHELL_OUTPUT_BYTES } from "../limits";
import { type Tool, ToolFailure } from "./tool-registry";
import { type SandboxPolicy, sandboxedArgv } from "./sandbox";
import { defineTool, required, z } from "./schema";

export { DEFAULT_SHELL_ALLOW };
export const OUTPUT_LIMIT = SHELL_OUTPUT_BYTES;

/**
 * What a command gets of the Bridge's environment: enough to run, none of the runtime's secrets
 * (VLLM_API_KEY, the MCP servers' variables), which an allowed `env` or `printenv` would hand to
 * whoever calls the tool.
 */
export function shellEnv(from: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"]) if (from[key] !== undefined) env[key] = from[key]!;
  return env;
}

/**
 * LOOM_SHELL_ALLOW: a JSON array of names, or "upstream"; unset is the default list (without the
 * sandbox, the one with no command that reads files); anything else allows nothing.
 */
export function shellAllowFromEnv(value: string | undefined, sandboxed = true): string[] {
  if (!value) return [...(sandboxed ? DEFAULT_SHELL_ALLOW : UNCONFINED_SHELL_ALLOW)];
  if (value === "upstream") return shellAllowList("upstream");
  try {
    const list = JSON.parse(value);
    if (Array.isArray(list) && list.every((c) => typeof c === "string")) return list;
  } catch {}
  return [];
}

/** Bytes `code` takes in a JSON string: control characters grow sixfold (`\u0000`), the rest as UTF-8. */
function jsonBytes(code: number): number {
  if (code < 0x20) return code === 8 || code === 9 || code === 10 || code === 12 || code === 13 ? 2 : 6;
  if (code === 0x22 || code === 0x5c) return 2;
  return code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
}

/**
 * At most OUTPUT_LIMIT bytes of `stream`, and of those what fits OUTPUT_LIMIT bytes once written
 * as JSON: a reply of binary output would otherwise grow sixfold (measured: 300 calls of
 * `cat /dev/zero` held the Bridge at 500 MB with 3 MB replies, 106 MB with 0.5 MB ones). Past the
 * limit `onOver` stops the command: its output is not wanted.
 */
async function capped(stream: ReadableStream<Uint8Array>, onOver: () => void): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size < OUTPUT_LIMIT) chunks.push(chunk.subarray(0, OUTPUT_LIMIT - size));
    size += chunk.length;
    if (size > OUTPUT_LIMIT) {
      onOver();
      break;
    }
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let end = 0;
  for (let used = 0; end < text.length; end++) {
    used += jsonBytes(text.charCodeAt(end));
    if (used > OUTPUT_LIMIT) break;
  }
  const stopped = size > OUTPUT_LIMIT;
  return text.slice(0, end) + (stopped || end < text.length ? `\n[output cut at ${OUTPUT_LIMIT} bytes${stopped ? "; the command was stopped" : ""}]` : "");
}

/** A counting semaphore: at most `limit` holders; the others wait in turn, or give up when `signal` fires. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async take(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) throw new ToolFailure("timeout", "");
    if (this.used >= this.limit)
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener("abort", quit);
          resolve();
        };
        const quit = () => {
          this.waiting.splice(this.waiting.indexOf(go), 1);
          reject(new ToolFailure("timeout", ""));
        };
        this.waiting.push(go);
        signal.addEventListener("abort", quit, { once: true });
      });
    else this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
  }
}

export interface ShellOptions {
  /** The tools' sandbox (sandbox.ts), or none where the kernel has no Landlock. */
  sandbox?: { self: string[]; policy: SandboxPolicy };
}

export function shellTool(cwd: string, allow: readonly string[], options: ShellOptions = {}): Tool {
  const strings = "'args' must be an array of strings";
  const slots = new Slots(SHELL_CONCURRENCY);
  return defineTool({
    name: "system:shell",
    description: `Run an allowed command (${allow.join(", ") || "none allowed"}) in the project directory`,
    args: z.object({
      command: required("Missing 'command'", "The command to execute"),
      args: z
        .array(z.string({ error: strings }), { error: strings })
        .default([])
        .describe("Arguments for the command"),
    }),
    async call({ command, args: argv }, signal) {
      if (!allow.includes(command))
        throw new ToolFailure("denied", `Command '${command}' is not allowed (allowed: ${allow.join(", ") || "none"}; set [bridge] shell_allow in loom.toml)`);
      const release = await slots.take(signal);
      const { sandbox } = options;
      const line = sandbox ? sandboxedArgv(sandbox.self, sandbox.policy, command, argv) : [command, ...argv];
      let child: ReturnType<typeof Bun.spawn<"ignore", "pipe", "pipe">>;
      try {
        child = Bun.spawn(line, { cwd, env: shellEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      } catch (e) {
        release();
        throw new ToolFailure("failed", `Failed to execute command: ${(e as Error).message}`);
      }
      const kill = () => child.kill("SIGKILL");
      signal.addEventListener("abort", kill);
      try {
        const [stdout, stderr, code] = await Promise.all([capped(child.stdout, kill), capped(child.stderr, kill), child.exited]);
        return { stdout, stderr, exit_code: child.signalCode ? null : code };
      } finally {
        signal.removeEventListener("abort", kill);
        release();
      }
    },
  });
}
