/**
 * Builds the host executable: `bun run build` -> dist/loom. `compileLoom` is the one way loom is
 * compiled, for the tests and for every release target alike (build-release.ts), so the shipped
 * binary is the tested one: `--bytecode` is what makes a cold `loom --version` fast.
 * The autoload flags matter for security: a compiled Bun binary would otherwise read `.env`,
 * `.env.local` and `bunfig.toml` (which can `preload` code) from whatever directory it starts in.
 */
import { resolve } from "pathe";
import { writeGenerated } from "./gen-protocol";

export const COMPILE_FLAGS = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];
export const ENTRY = "src/cli/bin.ts";
/** Workers are separate entry points in a compiled executable (Bun bundles each on its own). */
export const WORKERS = ["src/logs/relay-worker.ts"];
const ROOT = resolve(import.meta.dir, "..");

export interface CompileOptions {
  /** A Bun compile target such as "bun-linux-arm64"; the host when absent. */
  target?: string;
  /** loom's version when it is not package.json's (src/version.ts). */
  version?: string;
}

export function compileLoom(outfile: string, o: CompileOptions = {}): void {
  // The protocol's types follow loom.proto (scripts/gen-protocol.ts); written only when they change.
  writeGenerated();
  const args = [...COMPILE_FLAGS, ...(o.target ? [`--target=${o.target}`] : []), ...(o.version ? ["--define", `LOOM_BUILD_VERSION="${o.version}"`] : [])];
  // Entries sit under src/ in the executable; src/logs/relay.ts finds its worker there.
  args.push("--define", 'LOOM_RELAY_WORKER="./logs/relay-worker.ts"');
  const r = Bun.spawnSync([process.execPath, "build", ...args, ENTRY, ...WORKERS, "--outfile", outfile], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`compiling loom${o.target ? ` for ${o.target}` : ""} failed:\n${r.stderr}`);
}

if (import.meta.main) {
  const outfile = process.argv[2] ?? "dist/loom";
  compileLoom(resolve(outfile));
  console.log(`built ${outfile}`);
}
