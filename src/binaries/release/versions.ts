/**
 * Release versions: `0.1.0` and `v0.1.0` are the same release; `latest` is resolved first.
 * Semver pre-releases (`0.2.0-rc.10`) and Python-style tags (`0.1.0a1`, `0.1.0rc2`, `0.1.0.dev3`,
 * docs/runtime-contract.md "Releases") are accepted, and ordered by `Bun.semver.order`.
 */
import { LoomError } from "../../errors";

const SEMVER = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;
const PYTHON = /^v?(\d+\.\d+\.\d+)(?:\.?(a|b|rc|dev))(\d+)$/;

export function isLatest(version: string): boolean {
  return version.trim().toLowerCase() === "latest";
}

/** "v0.1.0" -> "0.1.0", "v0.1.0a1" -> "0.1.0a1". Throws a usage error for anything that is not a version. */
export function normalizeVersion(version: string): string {
  const v = version.trim();
  const m = SEMVER.exec(v) ?? PYTHON.exec(v);
  if (!m) throw new LoomError("USAGE", `"${version}" is not a runtime version`, { hint: 'write a release version such as "0.1.0", "v0.1.0" or "0.1.0a1", or "latest"' });
  return v.replace(/^v/, "");
}

/** The release tag of a concrete version: "v0.1.0". */
export function releaseTag(version: string): string {
  return `v${normalizeVersion(version)}`;
}

/**
 * A Python-style version as semver, for ordering: dev < a < b < rc < the release, and rc.10 after
 * rc.2 (numeric identifiers). "-dev" sorts first because "-" comes before letters in ASCII.
 */
function semverOf(version: string): string {
  const m = PYTHON.exec(version);
  return m ? `${m[1]}-${m[2] === "dev" ? "-dev" : m[2]}.${m[3]}` : version;
}

export function compareVersions(a: string, b: string): number {
  return Bun.semver.order(semverOf(a), semverOf(b));
}
