/**
 * A loom command: citty's definition with the examples loom's help prints, typed, so no command
 * needs a cast (citty's own meta has no `examples`).
 */
import { type ArgsDef, type CommandContext, type CommandDef, defineCommand, type SubCommandsDef } from "citty";
import { statSync } from "node:fs";
import { resolve } from "pathe";
import { LoomError } from "../errors";

export interface LoomMeta {
  name: string;
  description: string;
  examples?: string[];
  hidden?: boolean;
}

export interface LoomCommandDef<T extends ArgsDef> {
  meta: LoomMeta;
  args?: T;
  subCommands?: SubCommandsDef;
  /** Returns the exit code (EXIT's names), or nothing for 0; failures throw a LoomError. */
  run?: (context: CommandContext<T>) => number | undefined | void | Promise<number | undefined | void>;
}

/**
 * `--config FILE` (projectArg) becomes LOOM_CONFIG, which every reader of loom.toml and every
 * child loom starts honours; a `--project DIR` that is no directory is refused before a command
 * acts on it (it would read defaults, or say "not running", about a place that does not exist).
 */
export function loomCommand<const T extends ArgsDef = ArgsDef>(def: LoomCommandDef<T>): CommandDef<T> {
  const run = def.run;
  const withConfig = run
    ? (context: CommandContext<T>) => {
        const { config, project } = context.args as { config?: unknown; project?: unknown };
        if (typeof project === "string" && !statSync(project, { throwIfNoEntry: false })?.isDirectory())
          throw new LoomError("USAGE", `--project ${JSON.stringify(project)} is not a directory`, { hint: "give the project's directory (where loom.toml is, or below it)" });
        if (typeof config === "string" && config) process.env.LOOM_CONFIG = resolve(config);
        return run(context);
      }
    : undefined;
  return defineCommand<T>({ ...def, run: withConfig } as CommandDef<T>);
}

/** The meta of a command definition, with its examples (citty resolves it lazily; ours is a plain object). */
export function metaOf(cmd: CommandDef<ArgsDef>): Partial<LoomMeta> {
  return typeof cmd.meta === "object" && cmd.meta !== null && !("then" in cmd.meta) ? (cmd.meta as Partial<LoomMeta>) : {};
}
