/** Release versions: `0.1.0` and `v0.1.0` are the same release; `latest` is resolved first. */
import { LoomError } from "../errors";

const SEMVER = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

export function isLatest(version: string): boolean {
  return version.trim().toLowerCase() === "latest";
}

/** "v0.1.0" -> "0.1.0". Throws a usage error for anything that is not a version. */
export function normalizeVersion(version: string): string {
  const m = SEMVER.exec(version.trim());
  if (!m) throw new LoomError("USAGE", `"${version}" is not a runtime version`, { hint: 'write a release version such as "0.1.0" (or "v0.1.0"), or "latest"' });
  return m[1]!;
}

/** The release tag of a concrete version: "v0.1.0". */
export function releaseTag(version: string): string {
  return `v${normalizeVersion(version)}`;
}

/** Compares two normalized versions (numeric on major.minor.patch, pre-releases before releases). */
export function compareVersions(a: string, b: string): number {
  const [ma, pa = ""] = a.split("-", 2) as [string, string?];
  const [mb, pb = ""] = b.split("-", 2) as [string, string?];
  const na = ma.split(".").map(Number);
  const nb = mb.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (na[i] !== nb[i]) return (na[i] ?? 0) - (nb[i] ?? 0);
  if (pa === pb) return 0;
  if (pa === "") return 1;
  if (pb === "") return -1;
  return pa < pb ? -1 : 1;
}

/** The version a binary reports: `<name> <version>` -> normalized version, or undefined. */
export function parseVersionOutput(output: string): string | undefined {
  const last = output.trim().split(/\s+/).pop() ?? "";
  const m = SEMVER.exec(last);
  return m ? m[1] : undefined;
}
