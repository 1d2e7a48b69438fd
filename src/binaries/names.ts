/** Which runtime binary a mode runs, and the names it may have. */
import type { BridgeMode } from "../config/types";

export const BINARY_OF_MODE: Record<BridgeMode, string> = { full: "loom-core", "bridge-only": "loom-bridge" };

/** What the Loom Rust workspace builds: it serves both roles (LOOM_DASHBOARD switches the dashboard). */
export const WORKSPACE_BINARY = "loom-bridge-server";

/** Environment variables that point at an explicit binary, per binary name. */
export const PATH_OVERRIDE_ENV: Record<string, string> = {
  "loom-core": "LOOM_CORE_PATH",
  "loom-bridge": "LOOM_BRIDGE_PATH",
  [WORKSPACE_BINARY]: "LOOM_BRIDGE_PATH",
};

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export function isSafeBinaryName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes("..");
}

/** The binary a project runs in `mode`: `[bridge] binary` when set, else the mode's. */
export function binaryNameFor(mode: BridgeMode, configured?: string): string {
  return configured ?? BINARY_OF_MODE[mode];
}
