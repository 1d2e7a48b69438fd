/**
 * Upstream's Python CLI commands loom does not implement itself (`chat`, `proto`), handed to the
 * project's Python SDK: `python -m loom.cli.main <command> ...` with the interpreter loom would use
 * for the agents (LOOM_PYTHON, VIRTUAL_ENV, .venv, python3), in the foreground, its exit code
 * loom's. Without the SDK there, a clear error and the install command (exit 4).
 */
import { projectRoot } from "../config/root";
import { SDK_INSTALL } from "../config/sdk-compat";
import { LoomError } from "../errors";
import { pythonFor } from "../launch/process-plan";

export async function runPythonSdk(projectDir: string | undefined, argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const root = projectRoot(projectDir ?? process.cwd());
  const python = pythonFor(root, env);
  let check: ReturnType<typeof Bun.spawnSync>;
  try {
    check = Bun.spawnSync([python, "-c", "import loom.cli.main"], { cwd: root, env, stdout: "ignore", stderr: "pipe", timeout: 20_000 });
  } catch (error) {
    throw new LoomError("PROCESS", `cannot run ${python}: ${(error as Error).message}`, {
      hint: "install Python 3, or point LOOM_PYTHON (or VIRTUAL_ENV, or a .venv in the project) at the interpreter",
    });
  }
  if (check.exitCode !== 0) {
    const why = check.stderr?.toString().trim().split("\n").pop() ?? `exit ${check.exitCode}`;
    throw new LoomError("PROCESS", `\`loom ${argv[0]}\` is the Loom Python SDK's command, and ${python} cannot import it (${why})`, {
      hint: `install the SDK there: \`${SDK_INSTALL.replace("python3", python)}\`, or point LOOM_PYTHON at the Python that has it`,
    });
  }
  const child = Bun.spawn([python, "-m", "loom.cli.main", ...argv], { cwd: process.cwd(), env, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await child.exited;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
