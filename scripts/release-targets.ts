/** The platforms loom is released for: Bun's compile target, and the platform name in asset names. */

export interface ReleaseTarget {
  bun: string;
  platform: string;
  windows?: boolean;
}

export const RELEASE_TARGETS: ReleaseTarget[] = [
  { bun: "bun-linux-x64", platform: "linux-x64" },
  { bun: "bun-linux-x64-baseline", platform: "linux-x64-baseline" },
  { bun: "bun-linux-arm64", platform: "linux-arm64" },
  { bun: "bun-linux-x64-musl", platform: "linux-x64-musl" },
  { bun: "bun-darwin-x64", platform: "darwin-x64" },
  { bun: "bun-darwin-arm64", platform: "darwin-arm64" },
  { bun: "bun-windows-x64", platform: "windows-x64", windows: true },
];

export function archiveName(version: string, target: ReleaseTarget): string {
  return `loom-${version}-${target.platform}.${target.windows ? "zip" : "tar.gz"}`;
}

/** Where a release lives: `<base>/download/v<version>/<asset>`, or `<base>/latest/download/<asset>`. */
export const DEFAULT_CLI_RELEASES = "https://github.com/loom-os/loom-cli/releases";
