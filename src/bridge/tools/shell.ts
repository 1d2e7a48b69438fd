/**
 * system:shell: runs one command from an explicit allow-list (`[bridge] shell_allow`, passed as
 * LOOM_SHELL_ALLOW; config/shell.ts has the default and upstream's), with its arguments as given: no shell parses them, so `;`, `|` or `$(...)`
 * are plain characters. It runs in the project directory, with only PATH, HOME, the locale, TZ and
 * TMPDIR of the Bridge's environment (never its secrets), and is killed at the call's deadline.
 * Output as upstream: {stdout, stderr, exit_code}; each stream is cut at OUTPUT_LIMIT.
 */
import { DEFAULT_SHELL_ALLOW, shellAllowList } from "../../config/shell";
import { type Tool, ToolFailure } from "./registry";
import { defineTool, required, z } from "./schema";

export { DEFAULT_SHELL_ALLOW };
export const OUTPUT_LIMIT = 1024 * 1024;

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

/** LOOM_SHELL_ALLOW: a JSON array of names, or "upstream"; unset is the default list; anything else allows nothing. */
export function shellAllowFromEnv(value: string | undefined): string[] {
  if (!value) return [...DEFAULT_SHELL_ALLOW];
  if (value === "upstream") return shellAllowList("upstream");
  try {
    const list = JSON.parse(value);
    if (Array.isArray(list) && list.every((c) => typeof c === "string")) return list;
  } catch {}
  return [];
}

async function capped(stream: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size < OUTPUT_LIMIT) chunks.push(chunk.subarray(0, OUTPUT_LIMIT - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString("utf8") + (size > OUTPUT_LIMIT ? `\n[${size - OUTPUT_LIMIT} more bytes cut]` : "");
}

export function shellTool(cwd: string, allow: readonly string[]): Tool {
  const strings = "'args' must be an array of strings";
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
      let child: ReturnType<typeof Bun.spawn<"ignore", "pipe", "pipe">>;
      try {
        child = Bun.spawn([command, ...argv], { cwd, env: shellEnv(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      } catch (e) {
        throw new ToolFailure("failed", `Failed to execute command: ${(e as Error).message}`);
      }
      const kill = () => child.kill("SIGKILL");
      signal.addEventListener("abort", kill);
      try {
        const [stdout, stderr, code] = await Promise.all([capped(child.stdout), capped(child.stderr), child.exited]);
        return { stdout, stderr, exit_code: child.signalCode ? null : code };
      } finally {
        signal.removeEventListener("abort", kill);
      }
    },
  });
}
