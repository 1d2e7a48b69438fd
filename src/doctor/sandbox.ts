/**
 * `loom doctor`'s word on what holds the embedded Bridge's tools here (docs/security.md "The
 * tools' sandbox"): Landlock, or, without it, the shorter default shell list.
 */
import { sandboxAbi } from "../bridge/tools/sandbox";
import { DEFAULT_WRITABLE } from "../bridge/tools/protect";
import type { LoomConfig } from "../config/types";
import type { Check } from "./checks";

export function sandboxCheck(config: LoomConfig, env: Record<string, string | undefined>): Check {
  const writable = (config.bridge.writable ?? DEFAULT_WRITABLE).map((d) => `${d}/`).join(", ") || "nothing";
  const abi = sandboxAbi(env);
  if (abi > 0)
    return {
      name: "tools",
      verdict: "ok",
      detail: `system:shell runs in the tools' sandbox (Landlock ABI ${abi}): it reads the project less .env, loom.toml, .loom/ and .git/, writes only ${writable}, reaches no other process${config.bridge.shell_network ? "" : " and no network"}`,
    };
  const custom = config.bridge.shell_allow !== undefined;
  return {
    name: "tools",
    verdict: custom ? "warn" : "ok",
    detail: `no Landlock here (${process.platform === "linux" ? "this kernel has none, or LOOM_SANDBOX=off" : process.platform}): the tools' files are checked by path, and system:shell's default list holds no command that reads files${custom ? "; [bridge] shell_allow's commands read whatever you can" : ""}`,
    ...(custom ? { fix: "run on Linux 5.13+ with Landlock, or keep [bridge] shell_allow to commands that read nothing" } : {}),
  };
}
