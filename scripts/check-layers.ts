/**
 * The architecture, checked: each folder of src/ is a layer, and an import may only point to a
 * lower layer (or within its own folder). Run by `npm test`; prints every arrow that points up.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";

/** Lowest first. Folders of one line may not import each other either. */
export const LAYERS: string[][] = [
  ["errors.ts", "version.ts", "constants.ts", "types", "system"],
  ["files"],
  ["net"],
  ["config"],
  ["binaries"],
  ["state"],
  ["logs"],
  ["proc"],
  ["status"],
  ["protocol"],
  ["telemetry"],
  ["bridge"],
  ["client"],
  ["sdk"],
  ["supervisor"],
  ["launch"],
  ["doctor"],
  ["project"],
  ["api"],
  ["export"],
  ["cli"],
  ["index.ts"],
];

const SRC = resolve(import.meta.dir, "../src");
const layerOf = (top: string) => LAYERS.findIndex((l) => l.includes(top));

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith(".ts")) yield path;
  }
}

/** Every import of src/ that points up or at a folder in no layer. */
export function layerProblems(): string[] {
  const problems: string[] = [];
  for (const file of sources(SRC)) {
    const top = relative(SRC, file).split("/")[0]!;
    for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = relative(SRC, normalize(join(dirname(file), m[1]!)));
      if (target.startsWith("..")) continue; // package.json for the version
      const to = target.includes("/") ? target.split("/")[0]! : `${target}.ts`;
      if (to === top) continue;
      const [from, toLayer] = [layerOf(top), layerOf(to)];
      if (from < 0 || toLayer < 0) problems.push(`${relative(SRC, file)}: ${top} or ${to} is in no layer (scripts/check-layers.ts)`);
      else if (toLayer >= from) problems.push(`${relative(SRC, file)} imports ${target}: ${top} may not depend on ${to}`);
    }
  }
  return problems;
}

/**
 * Import cycles among the modules of src/ (static value imports: `import type` is erased and a
 * dynamic `import()` runs later, so neither makes one), each as the chain of files.
 */
export function importCycles(): string[][] {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"|^import\s+"(\.{1,2}\/[^"]+)"/gm)) {
      const spec = m[1] ?? m[2]!;
      const target = normalize(join(dirname(file), spec));
      if (!target.startsWith(SRC)) continue;
      deps.push(target.endsWith(".ts") ? target : `${target}.ts`);
    }
    graph.set(file, deps);
  }
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (!graph.has(dep)) continue;
      if (state.get(dep) === "open") cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(SRC, f)));
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

if (import.meta.main) {
  const cycles = importCycles();
  if (cycles.length) {
    console.error(`${cycles.length} import cycle(s):\n${cycles.map((c) => c.join(" -> ")).join("\n")}`);
    process.exit(1);
  }
  const problems = layerProblems();
  if (problems.length) {
    console.error(`${problems.length} import(s) against the layers:\n${problems.join("\n")}`);
    process.exit(1);
  }
  console.log(`layers: ${LAYERS.map((l) => l.join(" ")).join(" < ")}`);
}
