/**
 * A Bun macro (imported `with { type: "macro" }`): the SDK bundled into one ES module (grpc-js and
 * protobufjs inside), as text, at the time the importing module is compiled. So the loom executable
 * carries the bundle it writes for its agents, with nothing to read or fetch at run time. Bun.build
 * cannot run inside a macro (the bundler waits for the macro), hence `bun build` as a process.
 */
import { readFileSync } from "node:fs";

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

/** A Bun macro: the SDK's declared types (loom-sdk.d.ts), for `loom init` to write into a project. */
export function sdkDeclarations(): string {
  return readFileSync(`${import.meta.dir}/loom-sdk.d.ts`, "utf8");
}
