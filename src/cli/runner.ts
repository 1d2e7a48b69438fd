/**
 * The one place where errors become messages and exit codes. Also: --help with examples,
 * --version, and refusing flags a command does not know (citty alone would ignore them).
 */
import type { AnyCommand } from "./main";
import { runCommand, type ArgsDef } from "citty";
import { colors } from "consola/utils";
import { scrub } from "../config/env/secrets";
import { nearest } from "../config/typos";
import { EXIT, LoomError, exitCodeOf, isLoomError } from "../errors";
import { logText } from "../logs/printer";
import { main } from "./main";
import { helpModel, renderText } from "./usage";

async function resolve<T>(value: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/** The chain of commands the arguments name, and where the sub-command's own arguments begin. */
async function resolveChain(rawArgs: string[]): Promise<{ chain: AnyCommand[]; names: string[]; rest: string[] }> {
  const chain: AnyCommand[] = [main];
  const names: string[] = [];
  let rest = rawArgs;
  for (;;) {
    const cmd = chain[chain.length - 1]!;
    const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
    const index = rest.findIndex((a) => !a.startsWith("-"));
    if (!subs || index < 0) break;
    const name = rest[index]!;
    if (!(name in subs)) {
      if (cmd === main) {
        const near = nearest(name, Object.keys(subs));
        throw new LoomError("USAGE", `unknown command \`${name}\`${near ? `: did you mean \`loom ${near}\`?` : ""}`, {
          hint: `run \`loom --help\` to see the commands (${Object.keys(subs).join(", ")})`,
        });
      }
      break;
    }
    chain.push(await resolve(subs[name]!));
    names.push(name);
    rest = rest.slice(index + 1);
  }
  return { chain, names, rest };
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

async function checkFlags(cmd: AnyCommand, args: string[], global: ArgsDef): Promise<void> {
  const defs: ArgsDef = { ...global, ...(cmd.args ? await resolve(cmd.args) : {}) };
  const known = new Set<string>(["help", "h"]);
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    known.add(name).add(camel(name));
    if (def.type === "boolean" || def.type === undefined) known.add(`no-${name}`);
    for (const alias of [("alias" in def ? def.alias : undefined) ?? []].flat()) known.add(alias);
  }
  for (const arg of args) {
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") continue;
    const name = arg.replace(/^--?/, "").split("=")[0]!;
    const names = arg.startsWith("--") ? [name] : [...name]; // -abc is -a -b -c
    for (const n of names)
      if (!known.has(n)) {
        const name = cmd.meta ? (await resolve(cmd.meta))?.name : undefined;
        const near = arg.startsWith("--")
          ? nearest(
              n,
              [...known].filter((k) => k.length > 1 && !k.startsWith("no-") && !/[A-Z]/.test(k)),
            )
          : undefined;
        throw new LoomError("USAGE", `unknown option \`${arg.startsWith("--") ? "--" : "-"}${n}\`${near ? `: did you mean \`--${near}\`?` : ""}`, {
          hint: `run \`loom${name && name !== "loom" ? ` ${name}` : ""} --help\` to see the options`,
        });
      }
  }
}

async function usage(chain: AnyCommand[], names: string[]): Promise<string> {
  const width = process.stdout.isTTY ? Math.min(process.stdout.columns || 100, 120) : 100;
  return renderText(await helpModel(["loom", ...names], chain[chain.length - 1]!), width);
}

export function formatError(error: unknown, verbose: boolean): string {
  const lines: string[] = [];
  if (isLoomError(error)) {
    lines.push(`${colors.red("error:")} ${logText(error.message)}`);
    for (const d of error.details) lines.push(`  ${logText(d, "    ")}`);
    if (error.hint) lines.push(`${colors.cyan("hint:")} ${logText(error.hint)}`);
  } else {
    lines.push(`${colors.red("error:")} ${logText(error instanceof Error ? error.message : String(error))}`);
    if (!verbose) lines.push(`${colors.cyan("hint:")} this is a bug in loom; run again with --verbose and report the stack trace`);
  }
  if (verbose && error instanceof Error && error.stack) lines.push(colors.dim(error.stack));
  return scrub(lines.join("\n")) + "\n"; // a message never quotes a secret's value
}

/** Runs loom with `rawArgs` and returns the exit code (never calls process.exit itself). */
export async function runCli(rawArgs: string[]): Promise<number> {
  const verbose = rawArgs.includes("--verbose");
  try {
    const { chain, names, rest } = await resolveChain(rawArgs);
    const cmd = chain[chain.length - 1]!;
    const dashDash = rawArgs.indexOf("--");
    const flags = dashDash < 0 ? rawArgs : rawArgs.slice(0, dashDash);
    if (flags.includes("--help") || flags.includes("-h") || (cmd.subCommands && !cmd.run && rest.length === 0)) {
      process.stdout.write(await usage(chain, names));
      return EXIT.ok;
    }
    await checkFlags(cmd, rest, main.args as ArgsDef);
    // The command the arguments name, run directly: citty's runCommand drops a sub-command's result, which is its exit code.
    const { result } = await runCommand(cmd, { rawArgs: rest });
    return typeof result === "number" ? result : EXIT.ok;
  } catch (error) {
    // citty's own argument errors (missing positional, bad enum value) are usage errors.
    const e =
      error instanceof Error && error.name === "CLIError"
        ? new LoomError("USAGE", stripAnsi(error.message), { hint: "run the command with --help to see its usage" })
        : (permissionError(error) ?? error);
    process.stderr.write(formatError(e, verbose));
    return exitCodeOf(e);
  }
}

/**
 * A file or directory the user may not open (another user's `.loom/`, a read-only disk) is the
 * environment's doing, not a bug in loom: exit 2 naming the path.
 */
function permissionError(error: unknown): LoomError | undefined {
  const e = error as NodeJS.ErrnoException;
  if (!(e instanceof Error) || (e.code !== "EACCES" && e.code !== "EPERM") || !e.path) return undefined;
  return new LoomError("CONFIG", `permission denied: ${e.path} (${e.syscall ?? "open"})`, {
    hint: "it belongs to another user or is not readable by you; run loom as the user who runs the project",
    cause: error,
  });
}

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
