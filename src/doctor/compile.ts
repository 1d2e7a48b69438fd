/**
 * `loom doctor` parses each agent without running it, so a syntax error is a FAIL with its
 * `file:line:col` here rather than a crash loop under `loom run`: TypeScript and JavaScript with
 * Bun's transpiler in this process, Python with the agents' interpreter's own `compile()` (never
 * an import: nothing of the project runs, no `__pycache__` is written), isolated (`-I`) from `/`
 * as doctor's other Python check (docs/security.md).
 */
import { readFileSync, statSync } from "node:fs";
import { relative } from "pathe";
import type { ProcessSpec } from "../proc/spec";
import type { Check } from "./checks";
import { isBeneath, realInterpreter } from "./interpreter";

const MAX_SOURCE_BYTES = 4 * 1024 * 1024;
const LOADERS: Record<string, "ts" | "tsx" | "js" | "jsx"> = { ".ts": "ts", ".mts": "ts", ".tsx": "tsx", ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx" };
/** Reads each file named after it and prints "ok" or "LINE:COL: message" for each, on one line, after a first line that says it is this script's. */
const SENTINEL = "loom-compile-1";
const PY_COMPILE = `import sys
print('${SENTINEL}')
for path in sys.argv[1:]:
    try:
        with open(path, 'rb') as f:
            compile(f.read(), path, 'exec', dont_inherit=True)
        print('ok')
    except SyntaxError as e:
        print('%s:%s: %s' % (e.lineno or 0, e.offset or 0, (e.msg or 'invalid syntax').replace('\\n', ' ')))
    except Exception as e:
        print('0:0: %s' % str(e).replace('\\n', ' '))
`;

/** The agent's own file: the last path of the project in its command (not loom's preload in .loom/). */
const scriptOf = (spec: ProcessSpec, root: string) => spec.argv.findLast((a) => /\.(m?[jt]sx?|cjs|py)$/.test(a) && a.startsWith(`${root}/`) && !a.startsWith(`${root}/.loom/`));

function checkScript(name: string, path: string, root: string): Check | undefined {
  const loader = LOADERS[path.slice(path.lastIndexOf("."))];
  if (!loader) return undefined;
  const shown = relative(root, path);
  try {
    if (statSync(path).size > MAX_SOURCE_BYTES) return undefined;
    new Bun.Transpiler({ loader }).transformSync(readFileSync(path, "utf8"));
    return undefined;
  } catch (error) {
    const first = (error as { errors?: { message: string; position?: { line: number; column: number; lineText?: string } }[] }).errors?.[0];
    const at = first?.position ? `${shown}:${first.position.line}:${first.position.column}` : shown;
    const more = ((error as { errors?: unknown[] }).errors?.length ?? 1) - 1;
    return {
      name: `agent ${name}`,
      verdict: "fail",
      detail: `${at}: ${first?.message ?? (error as Error).message}${more > 0 ? ` (and ${more} more error${more === 1 ? "" : "s"} after it)` : ""}`,
      fix: "fix the syntax error: `loom run` would restart the agent until it gives up",
    };
  }
}

function checkPython(python: string, specs: { name: string; path: string }[], root: string): Check[] {
  // An interpreter that is a file of the project is never run (the python check says so), as doctor's other checks.
  const real = realInterpreter(python);
  if (real && isBeneath(real, root)) return [];
  let r: ReturnType<typeof Bun.spawnSync>;
  try {
    r = Bun.spawnSync([python, "-I", "-c", PY_COMPILE, ...specs.map((s) => s.path)], { cwd: "/", stdout: "pipe", stderr: "pipe", timeout: 20_000 });
  } catch {
    return []; // not found: the python check says so
  }
  const [first, ...lines] = (r.stdout?.toString() ?? "").trim().split("\n");
  if (r.exitCode !== 0 || first !== SENTINEL) return []; // not a Python that ran this: the python check says what it is
  return specs.flatMap((s, i) => {
    const line = lines[i] ?? "ok";
    if (line === "ok") return [];
    const parsed = /^(\d+:\d+): (.*)$/.exec(line);
    const [where, message] = parsed ? [parsed[1], parsed[2]] : ["0:0", line];
    return [
      {
        name: `agent ${s.name}`,
        verdict: "fail" as const,
        detail: `${relative(root, s.path)}:${where}: ${message}`,
        fix: "fix the syntax error: `loom run` would restart the agent until it gives up",
      },
    ];
  });
}

/** A FAIL for each agent whose file does not parse; none when all do. */
export function compileChecks(agents: ProcessSpec[], root: string, python: string): Check[] {
  const out: Check[] = [];
  const py: { name: string; path: string }[] = [];
  for (const spec of agents) {
    const path = scriptOf(spec, root);
    if (!path) continue;
    if (path.endsWith(".py")) py.push({ name: spec.name, path });
    else {
      const failed = checkScript(spec.name, path, root);
      if (failed) out.push(failed);
    }
  }
  if (py.length) out.push(...checkPython(python, py, root));
  return out;
}
