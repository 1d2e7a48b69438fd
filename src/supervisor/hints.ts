/** Known causes of a process failure, read from its last stderr lines. */

const KNOWN: [RegExp, string][] = [
  [/EADDRINUSE|address already in use|Address already in use/i, "a port it needs is already in use: stop the other process or change the port"],
  [
    /ModuleNotFoundError|No module named|Cannot find module|Cannot find package|ERR_MODULE_NOT_FOUND/,
    "a module is missing: install the agent's dependencies (pip install / bun install) or set LOOM_PYTHON to the right interpreter",
  ],
  [/ECONNREFUSED|Connection refused|connection refused|UNAVAILABLE/, "it could not connect: is the runtime up at LOOM_BRIDGE_ADDR? (`loom status`)"],
  [/Permission denied|EACCES/, "permission denied: check the file's mode (chmod +x) and the directories it writes to"],
  [/command not found|ENOENT|No such file or directory/, "a program or file it needs was not found: check the path and the interpreter"],
];

export function hintFor(stderrTail: string): string | undefined {
  for (const [pattern, hint] of KNOWN) if (pattern.test(stderrTail)) return hint;
  return undefined;
}

export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `was killed by ${signal}`;
  return `exited with code ${code}`;
}
