/**
 * The tools' sandbox (docs/security.md "The tools' sandbox"): on Linux with Landlock, what the
 * Bridge runs for a tool (`system:shell` commands, MCP servers that ask for it) goes through
 * `loom __sandbox`, a launcher that restricts itself and then execs the command. Decided by the
 * kernel on what is opened, not on a path's text:
 * - read and run: the system's directories (/usr, /bin, /lib*, /opt, /etc less its secrets);
 * - read: the project less its secrets (`.env*`, `.loom/`, `.git/`, `loom.toml`, at any depth);
 *   of /proc the names, the command's own entries and the system-wide figures, never another
 *   process's (and Landlock's ptrace rule would refuse their environ, cwd, fd or mem anyway);
 * - write: the project's writable directories only, never an exec bit's use (nothing there runs);
 * - no TCP unless the policy allows the network; no signal to a process outside the sandbox;
 * - no capability: a root-run Bridge's commands would otherwise pass the rules above.
 * Nothing else of the user's (the home directory, its keys) is reachable.
 */
import { type Dirent, readdirSync } from "node:fs";
import { join } from "pathe";
import { FILE_RIGHTS, FS, type Grant, dropCapabilities, exec, landlockAbi, restrictSelf } from "../../system/landlock";
import { isSecretName } from "./protect";

export interface SandboxPolicy {
  /** The project directory: readable less its secrets. */
  root: string;
  /** Project-relative directories that may be written. */
  writable: string[];
  /** Whether TCP connect and bind are allowed. */
  network: boolean;
}

const READ = FS.READ_FILE | FS.READ_DIR;
const RUN = READ | FS.EXECUTE;
const WRITE = FS.WRITE_FILE | FS.TRUNCATE | FS.MAKE_REG | FS.MAKE_DIR | FS.REMOVE_FILE | FS.REMOVE_DIR;
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/nix/store"];
/** Under /etc: what only root reads (a root-run Bridge would otherwise hand them out). */
const ETC_SECRETS = /^(g?shadow|sudoers|ssh$|private$)/;
/** What `free`, `uptime`, `df` and friends read of /proc besides their own entries. */
const PROC_FILES = ["meminfo", "uptime", "loadavg", "stat", "cpuinfo", "version", "filesystems", "swaps", "partitions", "diskstats", "vmstat"];
/** Directories that are walked no deeper: dependencies, not the project's secrets. */
const NOT_WALKED = new Set(["node_modules", ".venv", "venv", "__pycache__"]);
/** Directories walked at most; past it the rest stays unreadable (closed, not open). */
const WALK_BUDGET = 20_000;

/** Grants for `dir` less what `secret` names: the whole tree when nothing in it is secret, else entry by entry. */
function readable(dir: string, secret: (name: string) => boolean, rights: bigint, budget: { left: number }): { clean: boolean; grants: Grant[] } {
  if (--budget.left < 0) return { clean: false, grants: [] };
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return { clean: false, grants: [] };
  }
  let clean = true;
  // The directory's listing (names only) is readable even where some entries are not.
  const grants: Grant[] = [{ path: dir, access: FS.READ_DIR | (rights & FS.EXECUTE) }];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (secret(entry.name)) clean = false;
    else if (entry.isDirectory() && !NOT_WALKED.has(entry.name)) {
      const inner = readable(path, secret, rights, budget);
      clean &&= inner.clean;
      grants.push(...inner.grants);
    } else if (entry.isDirectory()) grants.push({ path, access: rights });
    else if (entry.isFile()) grants.push({ path, access: rights & FILE_RIGHTS });
  }
  return clean ? { clean, grants: [{ path: dir, access: rights }] } : { clean, grants };
}

/** Everything the sandbox allows, as Landlock rules. */
export function sandboxGrants(policy: SandboxPolicy): Grant[] {
  const budget = { left: WALK_BUDGET };
  const grants: Grant[] = SYSTEM_DIRS.map((path) => ({ path, access: RUN }));
  grants.push(...readable("/etc", (name) => ETC_SECRETS.test(name) || isSecretName(name), READ, budget).grants);
  // /proc: the names, this process's own entries (the command keeps the launcher's pid across
  // exec) and the system-wide figures; never another process's cmdline, environ or status.
  grants.push({ path: "/proc", access: FS.READ_DIR }, { path: `/proc/${process.pid}`, access: READ }, { path: "/proc/sys", access: READ });
  for (const file of PROC_FILES) grants.push({ path: `/proc/${file}`, access: FS.READ_FILE });
  for (const device of ["null", "zero", "random", "urandom", "full", "tty"]) grants.push({ path: `/dev/${device}`, access: FS.READ_FILE | FS.WRITE_FILE });
  grants.push(...readable(policy.root, isSecretName, READ, budget).grants);
  for (const dir of policy.writable) grants.push({ path: join(policy.root, dir), access: WRITE });
  return grants;
}

let abi: number | undefined;
/** The Landlock ABI this kernel offers (0: none), asked once. LOOM_SANDBOX=off turns the sandbox off (tests of the fallback). */
export function sandboxAbi(env: Record<string, string | undefined> = process.env): number {
  if (env.LOOM_SANDBOX === "off") return 0;
  abi ??= landlockAbi();
  return abi;
}

/** The argv that runs `command args` in the sandbox, through loom's own executable (`self`). */
export function sandboxedArgv(self: readonly string[], policy: SandboxPolicy, command: string, args: readonly string[]): string[] {
  return [...self, "__sandbox", JSON.stringify(policy), "--", command, ...args];
}

/** `loom __sandbox POLICY -- COMMAND ARGS...`: restricts itself, then becomes the command. Never runs it unconfined. */
export function sandboxMain(argv: readonly string[]): number {
  const fail = (message: string, code: number) => {
    process.stderr.write(`loom sandbox: ${message}\n`);
    return code;
  };
  let policy: SandboxPolicy;
  try {
    policy = JSON.parse(argv[0] ?? "");
  } catch {
    return fail("the policy is not JSON", 126);
  }
  const [command, ...args] = argv[1] === "--" ? argv.slice(2) : [];
  if (!command || typeof policy?.root !== "string" || !Array.isArray(policy.writable)) return fail("usage: loom __sandbox POLICY -- COMMAND [ARGS...]", 126);
  const path = command.includes("/") ? command : Bun.which(command);
  if (!path) return fail(`${command}: command not found`, 127);
  try {
    const grants = sandboxGrants(policy);
    dropCapabilities();
    restrictSelf(grants, policy.network === true);
  } catch (e) {
    return fail(`${(e as Error).message}; the command was not run`, 126);
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const errno = exec(path, [command, ...args], env);
  return fail(`${command}: cannot run it (errno ${errno})`, errno === 13 ? 126 : 127);
}
