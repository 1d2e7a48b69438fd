/**
 * Which runtime runs, as the rest of loom passes it around and says it, apart from how it was
 * found (get-binary.ts): the supervisor describes it without loading downloads and caches.
 */
import { relative } from "pathe";

export type BinarySource = "override" | "local" | "cache" | "download" | "embedded" | "remote";

/** The Bridge inside the loom executable (`loom __bridge`): nothing to find or fetch. */
export const EMBEDDED: BinaryResult = { path: "", source: "embedded" };

export interface BinaryResult {
  path: string;
  source: BinarySource;
  /** The version the binary reports (or was downloaded as). */
  version?: string;
}

/** "target/release/loom-bridge-server (local build)", "~/.cache/.../loom-core-v0.1.0-... (cache, v0.1.0)". */
export function describeBinary(b: BinaryResult, projectDir: string): string {
  if (b.source === "embedded") return "the embedded Bridge (inside loom; no download)";
  if (b.source === "remote") return `a remote Bridge at ${b.path} (nothing runs here)`;
  const rel = relative(projectDir, b.path);
  const shown = b.source === "local" && !rel.startsWith("..") ? rel : b.path;
  const how = { override: "path from the environment", local: "local build", cache: "cache", download: "verified download", embedded: "", remote: "" }[b.source];
  return `${shown} (${how}${b.version ? `, v${b.version}` : ""})`;
}
