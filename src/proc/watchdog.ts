/**
 * The watchdog: a tiny process that outlives a killed supervisor. The supervisor holds the write
 * end of the watchdog's stdin and reports each process group it starts (`+pgid`) and reaps
 * (`-pgid`). When that pipe closes without a clean goodbye (the supervisor was SIGKILLed or
 * crashed), the watchdog kills the groups it still knows, then runs `loom __hunt RUNID` for the
 * descendants that left their groups (hunt.ts), so nothing is orphaned.
 * It is a few lines of /bin/sh (about 1 MB, where a second loom process took 40 MB); where there
 * is no /bin/sh (Windows), `loom __watchdog` does the same.
 */
import { existsSync } from "node:fs";
import { huntRun } from "./hunt";
import { signalGroup } from "./identity";
import { selfArgv } from "./self";

/** POSIX sh (dash, bash, busybox, zsh): only builtins until the pipe closes. */
export const WATCHDOG_SH = `trap '' INT HUP
groups=
clean=
while IFS= read -r line; do
  case $line in
    bye) clean=1 ;;
    +*) groups="$groups \${line#+}" ;;
    -*) kept=; for g in $groups; do [ "$g" = "\${line#-}" ] || kept="$kept $g"; done; groups=$kept ;;
  esac
done
[ -n "$clean" ] && exit 0
stop() { for g in $groups; do case $g in *[!0-9]*|''|0|1) ;; *) kill -s "$1" -- "-$g" 2>/dev/null ;; esac; done; }
stop TERM
sleep 0.3 2>/dev/null || sleep 1
stop KILL
[ $# -gt 0 ] && exec "$@"
`;

const KILL_AFTER_MS = 300;

/** Runs as `loom __watchdog [RUNID]` in its own process group. */
export async function runWatchdog(runId?: string): Promise<void> {
  // The terminal's Ctrl+C and hang-up are for the supervisor; the watchdog ends with its pipe.
  process.on("SIGINT", () => {});
  process.on("SIGHUP", () => {});
  const groups = new Set<number>();
  let clean = false;
  let partial = "";
  for await (const chunk of Bun.stdin.stream()) {
    partial += new TextDecoder().decode(chunk);
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "bye") clean = true;
      else if (line.startsWith("+")) groups.add(Number(line.slice(1)));
      else if (line.startsWith("-")) groups.delete(Number(line.slice(1)));
    }
  }
  if (clean || groups.size === 0) return;
  for (const g of groups) signalGroup(g, "SIGTERM");
  await Bun.sleep(KILL_AFTER_MS);
  for (const g of groups) signalGroup(g, "SIGKILL");
  if (runId) await huntRun(runId, KILL_AFTER_MS);
}

export interface WatchdogClient {
  pid: number;
  /** Resolves when the watchdog process ends. */
  exited: Promise<unknown>;
  add(pgid: number): void;
  remove(pgid: number): void;
  /** Everything was stopped cleanly: the watchdog exits without killing. */
  close(): void;
}

/** `runId`: the run whose stragglers `loom __hunt` stops after a crash. */
export function startWatchdog(runId?: string): WatchdogClient {
  const { BUN_BE_BUN: _, ...env } = process.env;
  const hunt = runId ? [...selfArgv(), "__hunt", runId] : [];
  const argv = existsSync("/bin/sh") ? ["/bin/sh", "-c", WATCHDOG_SH, "loom-watchdog", ...hunt] : [...selfArgv(), "__watchdog", ...(runId ? [runId] : [])];
  const proc = Bun.spawn(argv, {
    stdin: "pipe",
    stdout: "ignore",
    stderr: "ignore",
    detached: true,
    env,
  });
  proc.unref();
  const send = (line: string) => {
    try {
      proc.stdin.write(`${line}\n`);
      proc.stdin.flush();
    } catch {}
  };
  return {
    pid: proc.pid,
    exited: proc.exited,
    add: (pgid) => send(`+${pgid}`),
    remove: (pgid) => send(`-${pgid}`),
    close: () => {
      send("bye");
      try {
        proc.stdin.end();
      } catch {}
    },
  };
}
