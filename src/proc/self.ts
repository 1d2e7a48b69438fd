/** How loom starts itself again (the detached supervisor, the watchdog) and runs TS agents. */

/** True inside the `bun build --compile` executable. */
export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || /^[A-Z]:\\~BUN\\/.test(Bun.main);
}

/** argv that runs this same loom: the executable, or bun with the entry script in development. */
export function selfArgv(): string[] {
  return isCompiled() ? [process.execPath] : [process.execPath, Bun.main];
}

/** The Bun that runs TypeScript agents: the loom executable as Bun (BUN_BE_BUN=1), or bun itself. */
export function bunRuntime(): string {
  return process.execPath;
}
