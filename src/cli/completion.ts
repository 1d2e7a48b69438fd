/**
 * Shell completion scripts, generated from the command definitions themselves; the commands that
 * take process names (NAMED) complete the running project's, asked of `loom __complete` (its
 * ledger, read without a round trip to the supervisor), as pm2 and systemctl complete theirs.
 */
import type { AnyCommand } from "./main";
import type { ArgsDef } from "citty";

export interface CompletionSpec {
  commands: { name: string; description: string; flags: string[]; subcommands: string[] }[];
}

async function resolve<T>(v: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

export async function completionSpec(commands: Record<string, () => Promise<AnyCommand>>): Promise<CompletionSpec> {
  const out: CompletionSpec["commands"] = [];
  for (const [name, load] of Object.entries(commands)) {
    const cmd = await load();
    const meta = (cmd.meta ? await resolve(cmd.meta) : {}) as { description?: string };
    const args = (cmd.args ? await resolve(cmd.args) : {}) as ArgsDef;
    const flags = Object.entries(args)
      .filter(([, d]) => d.type !== "positional")
      .map(([f]) => `--${f}`);
    const subs = cmd.subCommands ? Object.keys(await resolve(cmd.subCommands)) : [];
    out.push({ name, description: meta.description ?? "", flags: [...flags, "--help"], subcommands: subs });
  }
  return { commands: out };
}

/** The commands whose arguments are process names. */
export const NAMED = new Set(["logs", "restart", "stop", "start"]);
const NAMES = "$(loom __complete 2>/dev/null)";

export function bashCompletion(spec: CompletionSpec): string {
  const cases = spec.commands.map((c) => `    ${c.name}) opts="${[...c.subcommands, ...c.flags].join(" ")}${NAMED.has(c.name) ? ` ${NAMES}` : ""}" ;;`).join("\n");
  return `# loom completion for bash: eval "$(loom completion bash)"
_loom() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]} opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${spec.commands.map((c) => c.name).join(" ")} --help --version" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _loom loom
`;
}

export function zshCompletion(spec: CompletionSpec): string {
  const describe = spec.commands.map((c) => `    '${c.name}:${c.description.replace(/'/g, "'\\''").replace(/:/g, "\\:")}'`).join("\n");
  const cases = spec.commands
    .map((c) => `    ${c.name}) _values 'option' ${[...c.subcommands, ...c.flags].map((f) => `'${f}'`).join(" ")}${NAMED.has(c.name) ? ` \${(f)"${NAMES}"}` : ""} ;;`)
    .join("\n");
  return `#compdef loom
# loom completion for zsh: loom completion zsh > "\${fpath[1]}/_loom"
_loom() {
  local -a commands
  commands=(
${describe}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
  _files
}
compdef _loom loom
`;
}

export function fishCompletion(spec: CompletionSpec): string {
  const lines = ["# loom completion for fish: loom completion fish > ~/.config/fish/completions/loom.fish", "complete -c loom -f"];
  for (const c of spec.commands) {
    lines.push(`complete -c loom -n '__fish_use_subcommand' -a ${c.name} -d '${c.description.replace(/'/g, "\\'")}'`);
    for (const s of c.subcommands) lines.push(`complete -c loom -n '__fish_seen_subcommand_from ${c.name}' -a ${s}`);
    for (const f of c.flags) lines.push(`complete -c loom -n '__fish_seen_subcommand_from ${c.name}' -l ${f.slice(2)}`);
    if (NAMED.has(c.name)) lines.push(`complete -c loom -n '__fish_seen_subcommand_from ${c.name}' -a '(loom __complete 2>/dev/null)'`);
  }
  return lines.join("\n") + "\n";
}
