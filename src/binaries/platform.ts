/** The platform tag of release assets (docs/runtime-contract.md "Releases"). */
import { LoomError } from "../errors";

export type PlatformTag = "linux-x86_64" | "linux-aarch64" | "macos-x86_64" | "macos-aarch64" | "windows-x86_64";
export const PLATFORMS: readonly PlatformTag[] = ["linux-x86_64", "linux-aarch64", "macos-x86_64", "macos-aarch64", "windows-x86_64"];

export interface PlatformProbe {
  platform: NodeJS.Platform;
  arch: string;
  /** True when an x64 process runs under Rosetta on Apple Silicon. */
  rosetta: () => boolean;
}

function underRosetta(): boolean {
  // sysctl.proc_translated is 1 for a translated process; the arm64 runtime is the right one there.
  const r = Bun.spawnSync(["sysctl", "-in", "sysctl.proc_translated"], { stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 && r.stdout.toString().trim() === "1";
}

const HOST: PlatformProbe = { platform: process.platform, arch: process.arch, rosetta: underRosetta };

export function platformTag(probe: PlatformProbe = HOST): PlatformTag {
  const os = probe.platform === "darwin" ? "macos" : probe.platform === "win32" ? "windows" : probe.platform === "linux" ? "linux" : undefined;
  let arch = probe.arch === "x64" ? "x86_64" : probe.arch === "arm64" ? "aarch64" : undefined;
  if (os === "macos" && arch === "x86_64" && probe.rosetta()) arch = "aarch64";
  const tag = `${os}-${arch}` as PlatformTag;
  if (!os || !arch || !PLATFORMS.includes(tag))
    throw new LoomError("DOWNLOAD", `the Loom runtime has no release for ${probe.platform}/${probe.arch}`, {
      hint: `releases exist for ${PLATFORMS.join(", ")}; build the runtime from source and set LOOM_CORE_PATH / LOOM_BRIDGE_PATH`,
    });
  return tag;
}

export function isWindowsTag(tag: PlatformTag): boolean {
  return tag.startsWith("windows");
}

export function exeName(name: string, tag: PlatformTag): string {
  return isWindowsTag(tag) ? `${name}.exe` : name;
}
