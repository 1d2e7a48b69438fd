/** How loom starts itself again (the detached supervisor, the watchdog) and runs TS agents. */

/** True inside the `bun build --compile` executable. */
export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || /^[A-Z]:\\~BUN\\/.test(Bun.main);
}

/** Set by `bun build --define` when the library is bundled: its CLI's file, beside the bundle. */
declare const LOOM_LIBRARY_CLI: string | undefined;

/**
 * argv that runs loom's own CLI (the embedded Bridge, the watchdog's hunt, a detached supervisor):
 * the executable itself, or Bun with the CLI's entry script when loom runs from source or as a
 * library inside someone else's program (whose Bun.main is not loom).
 */
export function selfArgv(): string[] {
  if (isCompiled()) return [process.execPath];
  const entry = typeof LOOM_LIBRARY_CLI === "string" ? `${import.meta.dir}/${LOOM_LIBRARY_CLI}` : `${import.meta.dir}/../cli/bin.ts`;
  return [process.execPath, entry];
}

/** The Bun that runs TypeScript agents: the loom executable as Bun (BUN_BE_BUN=1), or bun itself. */
export function bunRuntime(): string {
  return process.execPath;
}
