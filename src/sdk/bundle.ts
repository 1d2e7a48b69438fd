/**
 * A Bun macro (imported `with { type: "macro" }`): the SDK bundled into one ES module (its gRPC,
 * client/h2-grpc.ts, inside), as text, at the time the importing module is compiled. So the loom
 * executable carries the bundle it writes for its agents, with nothing to read or fetch at run
 * time. Bun.build cannot run inside a macro (the bundler waits for the macro), hence `bun build`
 * as a process.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export function sdkBundle(): string {
  const entry = `${import.meta.dir}/index.ts`;
  const r = Bun.spawnSync([process.execPath, "build", entry, "--target=bun", "--format=esm", "--minify"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, BUN_BE_BUN: "1" },
  });
  if (r.exitCode !== 0) throw new Error(`bundling the SDK failed:\n${r.stderr}`);
  return r.stdout.toString();
}

/** Where `import { x } from "./y"` inside the SDK's emitted declarations points, as a module name. */
const INTERNAL = "loom:sdk/internal/";

/**
 * A Bun macro: the SDK's types as `loom init` writes them into a project (`loom-sdk.d.ts`), emitted
 * by tsc from the SDK's source (so they cannot drift from it), then put in one file: each module of
 * src/sdk/ the index reaches becomes `declare module "loom:sdk/internal/<name>"`, and the index
 * itself `declare module "loom:sdk"`. What is marked `@internal` is left out (--stripInternal); the
 * public types may reach no module outside src/sdk/ (a failed build says which).
 */
export function sdkDeclarations(): string {
  const out = mkdtempSync(join(tmpdir(), "loom-sdk-dts-"));
  try {
    const root = resolve(import.meta.dir, "../..");
    const flags = ["--declaration", "--emitDeclarationOnly", "--stripInternal", "--skipLibCheck", "--strict", "--target", "ESNext", "--module", "preserve"];
    const more = ["--moduleResolution", "bundler", "--types", "bun", "--allowImportingTsExtensions", "--resolveJsonModule", "--rootDir", "src", "--outDir", out];
    const ambient = readdirSync(join(root, "src/types")).map((f) => `src/types/${f}`); // *.proto and other module types
    const r = Bun.spawnSync([`${root}/node_modules/.bin/tsc`, "--ignoreConfig", ...flags, ...more, ...ambient, "src/sdk/index.ts"], { cwd: root, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`emitting the SDK's declarations failed:\n${r.stdout}${r.stderr}`);
    const modules: string[] = [];
    const seen = new Set<string>();
    const sdkDir = join(out, "sdk");
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const text = readFileSync(join(sdkDir, `${name}.d.ts`), "utf8");
      const body = text.replace(/(from\s+)"([^"]+)"/g, (_all, from: string, spec: string) => {
        const target = resolve(sdkDir, spec);
        if (dirname(target) !== sdkDir) throw new Error(`the SDK's public types (${name}.ts) reach ${spec}, outside src/sdk/: mark it @internal or keep it out of the API`);
        const imported = target.slice(sdkDir.length + 1);
        visit(imported);
        return `${from}"${INTERNAL}${imported}"`;
      });
      // Inside `declare module`, the context is ambient already: `declare` goes.
      const undeclared = body.replace(/^(export )?declare /gm, "$1").replace(/^export \{\};$/gm, "");
      const indented = undeclared
        .trim()
        .split("\n")
        .map((l) => (l ? `  ${l}` : l))
        .join("\n");
      modules.push(`declare module "${name === "index" ? "loom:sdk" : INTERNAL + name}" {\n${indented}\n}\n`);
    };
    visit("index");
    const header =
      "// Types of `loom:sdk`, the TypeScript SDK that loom gives the agents it runs (docs/sdk.md), emitted\n// from its source. `loom init` writes this file so that editors and `tsc` know the module.\n";
    return `${header}\n${modules.reverse().join("\n")}`;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
