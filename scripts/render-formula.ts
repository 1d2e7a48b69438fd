/**
 * Renders the Homebrew formula (Formula/loom.rb for a tap) from a release's checksums.txt:
 * one url and sha256 per platform in on_macos / on_linux with on_arm / on_intel.
 * Usage: bun scripts/render-formula.ts <checksums.txt> <version> [base-url] > Formula/loom.rb
 */
import { readFileSync } from "node:fs";
import { DEFAULT_CLI_RELEASES } from "./release-targets";

export function renderFormula(checksums: string, version: string, base = DEFAULT_CLI_RELEASES): string {
  const sums = new Map<string, string>();
  for (const line of checksums.split("\n")) {
    const [hex, file] = line.trim().split(/\s+/);
    if (hex && file) sums.set(file, hex);
  }
  const entry = (platform: string) => {
    const file = `loom-${version}-${platform}.tar.gz`;
    const sha = sums.get(file);
    if (!sha) throw new Error(`checksums.txt has no ${file}`);
    return `      url "${base}/download/v${version}/${file}"\n      sha256 "${sha}"`;
  };
  return `# Rendered by scripts/render-formula.ts from the v${version} release's checksums.txt; do not edit.
class Loom < Formula
  desc "Run Loom projects: the Loom runtime and your agents"
  homepage "https://github.com/loom-os/loom"
  version "${version}"
  license "Apache-2.0"

  on_macos do
    on_arm do
${entry("darwin-arm64")}
    end
    on_intel do
${entry("darwin-x64")}
    end
  end

  on_linux do
    on_arm do
${entry("linux-arm64")}
    end
    on_intel do
${entry("linux-x64")}
    end
  end

  def install
    bin.install "loom"
    generate_completions_from_executable(bin/"loom", "completion")
  end

  test do
    assert_match "loom #{version}", shell_output("#{bin}/loom --version")
  end
end
`;
}

if (import.meta.main) {
  const [file, version, base] = process.argv.slice(2);
  if (!file || !version) {
    console.error("usage: bun scripts/render-formula.ts <checksums.txt> <version> [base-url]");
    process.exit(2);
  }
  process.stdout.write(renderFormula(readFileSync(file, "utf8"), version, base));
}
