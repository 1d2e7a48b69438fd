/**
 * Builds the host executable: `bun run build` -> dist/loom.
 * The autoload flags matter for security: a compiled Bun binary would otherwise read `.env`,
 * `.env.local` and `bunfig.toml` (which can `preload` code) from whatever directory it starts in.
 */
import { $ } from "bun";

export const COMPILE_FLAGS = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];
export const ENTRY = "src/cli/bin.ts";

if (import.meta.main) {
  const outfile = process.argv[2] ?? "dist/loom";
  await $`bun build ${COMPILE_FLAGS} ${ENTRY} --outfile ${outfile}`.quiet();
  console.log(`built ${outfile}`);
}
