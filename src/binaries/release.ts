/** The release layout (RUNTIME-CONTRACT.md "Releases"): asset names, URLs, published checksums. */
import { LoomError } from "../errors";
import { fetchText, releaseBase, type HttpDeps } from "./http";
import { isWindowsTag, type PlatformTag } from "./platform";
import { releaseTag } from "./versions";

export function assetName(name: string, version: string, tag: PlatformTag): string {
  return `${name}-${releaseTag(version).slice(1)}-${tag}.${isWindowsTag(tag) ? "zip" : "tar.gz"}`;
}

export function assetUrl(base: string, version: string, asset: string): string {
  return `${base}/${releaseTag(version)}/${asset}`;
}

const HEX = /^[0-9a-fA-F]{64}$/;

/** `<hex>` or `<hex>  <file>` (a `*` before the file name means binary mode, as sha256sum writes). */
export function parseShaFile(text: string, asset: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const [hex, file] = line.trim().split(/\s+\*?/, 2);
    if (hex && HEX.test(hex) && (file === undefined || file === asset || file.endsWith(`/${asset}`))) return hex.toLowerCase();
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

export interface PublishedChecksum {
  sha256?: string;
  /** Where it came from, for messages. */
  source?: string;
  /** The release's checksums.txt, when it was fetched (for listing assets on a 404). */
  checksumsTxt?: string;
}

/** The expected SHA-256 of `asset`: from `<asset>.sha256`, else from the release's checksums.txt. */
export async function publishedChecksum(version: string, asset: string, deps: HttpDeps): Promise<PublishedChecksum> {
  const base = releaseBase(deps.env);
  const shaUrl = `${assetUrl(base, version, asset)}.sha256`;
  const sha = await getText(shaUrl, deps);
  if (sha.text !== undefined) {
    const hex = parseShaFile(sha.text, asset);
    if (!hex)
      throw new LoomError("VERIFY", `${shaUrl} does not hold a SHA-256 for ${asset}`, { hint: "the mirror serves a broken checksum file; fix it or use the official release" });
    return { sha256: hex, source: shaUrl };
  }
  const listUrl = assetUrl(base, version, "checksums.txt");
  const list = await getText(listUrl, deps);
  if (list.text !== undefined) {
    const hex = parseShaFile(list.text, asset);
    return hex ? { sha256: hex, source: listUrl, checksumsTxt: list.text } : { checksumsTxt: list.text };
  }
  if (sha.status >= 500 || list.status >= 500)
    throw new LoomError("DOWNLOAD", `the release server failed (HTTP ${Math.max(sha.status, list.status)}) for ${listUrl}`, {
      hint: "try again later, or use a mirror with LOOM_DOWNLOAD_BASE_URL",
    });
  return {};
}
