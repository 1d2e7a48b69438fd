/**
 * The shape of the source, checked (CONTRIBUTING "Layout"): every file a comment of src/, scripts/
 * or bench/ names exists (a moved module leaves no stale pointer: a name like `launch/process-plan.ts`,
 * `docs/memory.md` or `loom.proto` is looked up beside the file, under src/, and at the
 * repository's root); modules and folders stay small; nothing is cast through `unknown`.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "pathe";
import { ROOT } from "../helpers/loom";

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|py|sh|proto)$/.test(name)) yield path;
  }
}

/** Names in comments: a path with a folder, or a file of one of loom's own kinds. */
const NAMED = /(?<![\w@/.-])((?:[\w-]+\/)*[\w.-]+\.(?:ts|md|proto|py|sh))(?![\w-]|\.\w)/g;

/** Names that are examples or another project's files, not loom's (an upstream app's entry script, protoc's output). */
const NOT_OURS = new Set(["loom-sdk.d.ts", ".unit.test.ts", "main.py", "run.py", "app.py", "a.py", "loom.py", "agents/data.py", "loom_pb2.py", "loom_pb2_grpc.py", ".d.ts"]);

test("every file a comment names exists", () => {
  const everywhere = new Set<string>();
  for (const top of ["src", "test", "scripts", "bench"]) for (const f of files(join(ROOT, top))) everywhere.add(relative(ROOT, f));
  const exists = (file: string, name: string) =>
    [join(dirname(file), name), join(ROOT, "src", name), join(ROOT, name), join(ROOT, "docs", name)].some((p) => existsSync(p)) ||
    [...everywhere].some((p) => p === name || p.endsWith(`/${name}`));
  const missing: string[] = [];
  for (const top of ["src", "scripts", "bench"])
    for (const file of files(join(ROOT, top)))
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const comment = /^\s*(?:\/\/|\/?\*|#)(.*)$/.exec(line)?.[1] ?? /\s\/\/\s(.*)$/.exec(line)?.[1];
        if (!comment) continue;
        for (const [, name] of comment.matchAll(NAMED)) if (!NOT_OURS.has(name!) && !exists(file, name!)) missing.push(`${relative(ROOT, file)}: ${name}`);
      }
  expect(missing).toEqual([]);
});

test("no module of src/ is over 350 lines (CONTRIBUTING: about 100-200, none over 350)", () => {
  const long = [...files(join(ROOT, "src"))]
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => {
      const n = readFileSync(f, "utf8").split("\n").length;
      return n > 351 ? [`${relative(ROOT, f)}: ${n} lines`] : [];
    });
  expect(long).toEqual([]);
});

test("no folder of src/ holds over 15 modules, except the one module per command of cli/commands", () => {
  const counts = new Map<string, number>();
  for (const f of files(join(ROOT, "src"))) if (f.endsWith(".ts")) counts.set(dirname(relative(ROOT, f)), (counts.get(dirname(relative(ROOT, f))) ?? 0) + 1);
  const crowded = [...counts].filter(([dir, n]) => n > 15 && dir !== "src/cli/commands").map(([dir, n]) => `${dir}: ${n} modules`);
  expect(crowded).toEqual([]);
});

test("no `as unknown as` outside generated code (src/, test/, bench/, scripts/): a boundary is parsed, a type is derived", () => {
  // This file names the words, and the generator writes them into the generated code.
  const exempt = new Set(["test/distribution/shape.unit.test.ts", "scripts/gen-protocol.ts"]);
  const casts = ["src", "test", "bench", "scripts"]
    .flatMap((top) => [...files(join(ROOT, top))])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".generated.ts") && !exempt.has(relative(ROOT, f)))
    .flatMap((f) => (readFileSync(f, "utf8").includes(["as", "unknown", "as"].join(" ")) ? [relative(ROOT, f)] : []));
  expect(casts).toEqual([]);
});
