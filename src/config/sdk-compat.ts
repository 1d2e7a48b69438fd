/**
 * Python agents read loom.toml themselves with the SDK's loader (docs/runtime-contract.md
 * "Agents"), which expands only `${VAR}` and reads an LLM provider's `api_base`, not `base_url`.
 * These warnings say, with the line, where an agent would see something else than loom does.
 */
import { isTable } from "./schema";
import { locateKey } from "./locate";

/** `${VAR:-x}`, `${VAR-x}`, `${VAR:?m}`, `${VAR?m}`, `${VAR:+x}`, `${VAR+x}`, `$$`, bare `$VAR`. */
const COMPOSE_ONLY = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?+])|\$\$|\$[A-Za-z_]/;

function where(file: string, source: string, path: string[]): string {
  const at = locateKey(source, path);
  return at ? `${file}:${at.line}:${at.column}` : file;
}

/** `raw` is loom.toml as parsed, before any expansion. */
export function sdkCompatWarnings(file: string, source: string, raw: Record<string, unknown>): string[] {
  const out: string[] = [];
  const llm = isTable(raw.llm) ? raw.llm : {};
  for (const [name, p] of Object.entries(llm))
    if (isTable(p) && p.base_url !== undefined && p.api_base === undefined)
      out.push(
        `${where(file, source, ["llm", name, "base_url"])}: Python agents read \`api_base\`, not \`base_url\`: an agent using [llm.${name}] talks to its default (http://localhost:8000/v1); write api_base = ${JSON.stringify(p.base_url)}`,
      );
  const visit = (value: unknown, path: string[]) => {
    if (typeof value === "string" && COMPOSE_ONLY.test(value))
      out.push(
        `${where(
          file,
          source,
          path.filter((p) => !/^\d+$/.test(p)),
        )}: Python agents expand only \${VAR}: an agent reading \`${path.join(".")}\` sees ${JSON.stringify(value)} as it is written`,
      );
    else if (Array.isArray(value)) for (const [i, v] of value.entries()) visit(v, [...path, String(i)]);
    else if (isTable(value)) for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  // Only what agents read: their own tables and the LLM providers.
  visit(raw.agents, ["agents"]);
  visit(raw.llm, ["llm"]);
  return out;
}

/** How to install upstream's Python SDK (not on PyPI under its import name: `loom` there is another project). */
export const SDK_INSTALL = 'python3 -m pip install "git+https://github.com/loom-os/loom#subdirectory=loom-py"';
