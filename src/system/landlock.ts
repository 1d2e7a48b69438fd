/**
 * Linux Landlock (kernel 5.13+): an unprivileged process restricts itself, and every process it
 * then runs, to the paths and ports it lists (docs/security.md "The tools' sandbox"). Called
 * through bun:ffi's `syscall(2)`; Node and Bun offer no binding. The numbers are the kernel's
 * UAPI (include/uapi/linux/landlock.h), the same on x86-64 and arm64.
 */
import { FFIType, type dlopen, ptr, read } from "bun:ffi";
import { readFileSync } from "node:fs";
import { openLibc } from "./libc";

const SYS = { create: 444, add: 445, restrict: 446 } as const;
const PR_SET_NO_NEW_PRIVS = 38;
const CREATE_RULESET_VERSION = 1;
const RULE_PATH_BENEATH = 1;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const O_NOFOLLOW = 0o400000;

/** Filesystem rights, by the ABI version that introduced them. */
export const FS = {
  EXECUTE: 1n << 0n,
  WRITE_FILE: 1n << 1n,
  READ_FILE: 1n << 2n,
  READ_DIR: 1n << 3n,
  REMOVE_DIR: 1n << 4n,
  REMOVE_FILE: 1n << 5n,
  MAKE_CHAR: 1n << 6n,
  MAKE_DIR: 1n << 7n,
  MAKE_REG: 1n << 8n,
  MAKE_SOCK: 1n << 9n,
  MAKE_FIFO: 1n << 10n,
  MAKE_BLOCK: 1n << 11n,
  MAKE_SYM: 1n << 12n,
  REFER: 1n << 13n, // ABI 2
  TRUNCATE: 1n << 14n, // ABI 3
  IOCTL_DEV: 1n << 15n, // ABI 5
} as const;
/** The rights a rule on a single file (not a directory) may carry. */
export const FILE_RIGHTS = FS.EXECUTE | FS.WRITE_FILE | FS.READ_FILE | FS.TRUNCATE | FS.IOCTL_DEV;
const NET_TCP = 3n; // BIND_TCP | CONNECT_TCP, ABI 4
const SCOPE_ALL = 3n; // abstract Unix sockets and signals outside the domain, ABI 6

function handledFs(abi: number): bigint {
  let all = (1n << 13n) - 1n;
  if (abi >= 2) all |= FS.REFER;
  if (abi >= 3) all |= FS.TRUNCATE;
  if (abi >= 5) all |= FS.IOCTL_DEV;
  return all;
}

const SYMBOLS = {
  syscall: { args: [FFIType.i64, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i64 },
  prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  capset: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
} as const;

type Calls = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
let calls: Calls | null | undefined;

function c(): Calls | undefined {
  if (calls === undefined) calls = (process.platform === "linux" ? openLibc(SYMBOLS) : undefined) ?? null;
  return calls ?? undefined;
}

function errno(calls: Calls): number {
  const at = calls.__errno_location();
  return at ? read.i32(at, 0) : 0;
}

const cString = (text: string) => Buffer.from(`${text}\0`);

/** The kernel's Landlock ABI version, or 0 where there is none (not Linux, an old kernel, disabled at boot). */
export function landlockAbi(): number {
  const calls = c();
  if (!calls) return 0;
  const version = Number(calls.syscall(SYS.create, 0, 0, CREATE_RULESET_VERSION, 0));
  return Math.max(version, 0);
}

export interface Grant {
  path: string;
  /** Rights on the path and everything beneath it (a file takes only FILE_RIGHTS). */
  access: bigint;
}

/**
 * Restricts this process (and what it executes afterwards) to `grants`; TCP connect and bind are
 * refused unless `network`, and signals and abstract sockets outside the sandbox always (ABI 6+).
 * Paths that cannot be opened are skipped. Throws when the kernel refuses the restriction itself.
 */
export function restrictSelf(grants: readonly Grant[], network: boolean): void {
  const calls = c();
  const abi = landlockAbi();
  if (!calls || abi === 0) throw new Error("Landlock is not available on this kernel");
  const handled = handledFs(abi);
  const attr = new BigUint64Array([handled, abi >= 4 && !network ? NET_TCP : 0n, abi >= 6 ? SCOPE_ALL : 0n]);
  const size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
  const ruleset = Number(calls.syscall(SYS.create, BigInt(ptr(attr)), size, 0, 0));
  if (ruleset < 0) throw new Error(`landlock_create_ruleset failed (errno ${errno(calls)})`);
  for (const grant of grants) {
    // EINVAL: directory rights on a file; the file keeps the rights a file can have.
    if (addRule(calls, ruleset, grant.path, grant.access & handled) === 22) addRule(calls, ruleset, grant.path, grant.access & handled & FILE_RIGHTS);
  }
  if (calls.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) throw new Error("prctl(PR_SET_NO_NEW_PRIVS) failed");
  if (Number(calls.syscall(SYS.restrict, ruleset, 0, 0, 0)) < 0) throw new Error(`landlock_restrict_self failed (errno ${errno(calls)})`);
  calls.close(ruleset);
}

/** landlock_add_rule for `path` (opened O_PATH, so nothing of it is read, and never through a link); 0 or errno. A path that cannot be opened is skipped. */
function addRule(calls: Calls, ruleset: number, path: string, access: bigint): number {
  const fd = calls.open(ptr(cString(path)), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  // struct landlock_path_beneath_attr is packed: u64 allowed_access, s32 parent_fd.
  const rule = Buffer.alloc(12);
  rule.writeBigUInt64LE(access, 0);
  rule.writeInt32LE(fd, 8);
  const added = Number(calls.syscall(SYS.add, ruleset, RULE_PATH_BENEATH, BigInt(ptr(rule)), 0));
  const why = added < 0 ? errno(calls) : 0;
  calls.close(fd);
  return why;
}

/**
 * Gives up every capability for good, so that a root-run Bridge's commands are held by the
 * sandbox too: root's CAP_SYS_PTRACE passes Landlock's ptrace rule (/proc/<pid>/environ), and
 * CAP_DAC_OVERRIDE reads any file. The bounding set is emptied first, so the exec that follows
 * (root gets every permitted capability back from it) finds none to give. Throws when some remain.
 */
export function dropCapabilities(): void {
  const calls = c();
  if (!calls) throw new Error("libc is not available");
  const PR_CAPBSET_DROP = 24;
  for (let cap = 0; cap < 64; cap++) calls.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0); // EPERM without CAP_SETPCAP: nothing to drop then
  const header = new Uint32Array([0x20080522, 0]); // _LINUX_CAPABILITY_VERSION_3, this process
  const data = new Uint32Array(6); // effective, permitted, inheritable for capabilities 0-31 and 32-63: none
  if (calls.capset(ptr(header), ptr(data)) !== 0) throw new Error(`capset failed (errno ${errno(calls)})`);
  const status = readFileSync("/proc/self/status", "utf8");
  if (!/^CapBnd:\s*0+$/m.test(status) && /^Uid:\s*0\s/m.test(status)) throw new Error("the capability bounding set could not be emptied");
}

/** Replaces this process with `path` (execve(2)); returns only on failure, with errno. */
export function exec(path: string, argv: readonly string[], env: Record<string, string>): number {
  const calls = c();
  if (!calls) return 38; // ENOSYS
  const keep = [path, ...argv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].map(cString);
  const pointers = (from: Buffer[]) => new BigUint64Array([...from.map((b) => BigInt(ptr(b))), 0n]);
  const argvPtrs = pointers(keep.slice(1, 1 + argv.length));
  const envPtrs = pointers(keep.slice(1 + argv.length));
  calls.execve(ptr(keep[0]!), ptr(argvPtrs), ptr(envPtrs));
  return errno(calls);
}
