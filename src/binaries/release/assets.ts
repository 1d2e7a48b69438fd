/** The release layout (docs/runtime-contract.md "Releases"): asset names, URLs, published checksums. */
import { LoomError } from "../../errors";
import { fetchText, releaseBase, type HttpDeps } from "./http";
import { isWindowsTag, type PlatformTag } from "../platform";
import { releaseTag } from "./versions";

export function assetName(name: string, version: string, tag: PlatformTag): string {
  return `${name}-${releaseTag(version).slice(1)}-${tag}.${isWindowsTag(tag) ? "zip" : "tar.gz"}`;
}

export function assetUrl(base: string, version: string, asset: string): string {
  return `${base}/${releaseTag(version)}/${asset}`;
}

const HEX = /^[0-9a-fA-F]{64}$/;

/**
 * `<hex>` or `<hex>  <file>` (a `*` before the file name means binary mode, as sha256sum writes).
 * A bare `<hex>` counts only in the asset's own `.sha256` file, never in a list of many.
 */
export function parseShaFile(text: string, asset: string, list = false): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const [hex, file] = line.trim().split(/\s+\*?/, 2);
    if (hex && HEX.test(hex) && ((file === undefined && !list) || file === asset || file?.endsWith(`/${asset}`))) return hex.toLowerCase();
  }
  return undefined;
}

/** Asset names listed in a checksums.txt. */
export function listedAssets(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+\*?/, 2)[1])
    .filter((f): f is string => Boolean(f));
}

const getText = (url: string, deps: HttpDeps) => fetchText(url, deps);

/** Checksum files a release may publish beside its assets, in the order they are tried. */
export const CHECKSUM_LISTS = ["checksums.txt", "SHA256SUMS.txt", "SHA256SUMS"];

export interface LocatedAsset {
  /** The asset file name, when one of the candidates is known to the release. */
  asset?: string;
  sha256?: string;
  /** Where the checksum came from, for messages. */
  source?: string;
  /** Every asset the release's checksum lists name (for a 404's message). */
  listed: string[];
}

/**
 * Which of `candidates` (asset names, best first) the release publishes, and its expected SHA-256:
 * from `<asset>.sha256`, else from checksums.txt, SHA256SUMS.txt or SHA256SUMS (the three release
 * layouts of docs/runtime-contract.md "Releases"). No checksum found: `sha256` is undefined.
 */
export async function locateAsset(version: string, candidates: string[], deps: HttpDeps): Promise<LocatedAsset> {
  const base = releaseBase(deps.env);
  let failedStatus = 0;
  for (const asset of candidates) {
    const shaUrl = `${assetUrl(base, version, asset)}.sha256`;
    const sha = await getText(shaUrl, deps);
    if (sha.text !== undefined) {
      const hex = parseShaFile(sha.text, asset);
      if (!hex)
        throw new LoomError("VERIFY", `${shaUrl} does not hold a SHA-256 for ${asset}`, { hint: "the mirror serves a broken checksum file; fix it or use the official release" });
      return { asset, sha256: hex, source: shaUrl, listed: [] };
    }
    if (sha.status >= 500) failedStatus = sha.status;
  }
  const listed: string[] = [];
  for (const list of CHECKSUM_LISTS) {
    const listUrl = assetUrl(base, version, list);
    const r = await getText(listUrl, deps);
    if (r.text === undefined) {
      if (r.status >= 500) failedStatus = r.status;
      continue;
    }
    listed.push(...listedAssets(r.text));
    for (const asset of candidates) {
      const hex = parseShaFile(r.text, asset, true);
      if (hex) return { asset, sha256: hex, source: listUrl, listed };
    }
  }
  if (failedStatus && listed.length === 0)
    throw new LoomError("DOWNLOAD", `the release server failed (HTTP ${failedStatus}) for ${assetUrl(base, version, "")}`, {
      hint: "try again later, or use a mirror with LOOM_DOWNLOAD_BASE_URL",
    });
  return { listed };
}
