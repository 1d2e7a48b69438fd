/**
 * The embedded Bridge's `system:shell` allow-lists (docs/embedded-bridge.md "system:shell"), and
 * which commands hand the caller more than their name says. Arguments are never confined to the
 * project: an allowed `cat` reads any file the user can.
 */

/** Upstream's list (docs/runtime-contract.md "Tools"), the `shell_allow = "upstream"` preset. */
export const UPSTREAM_SHELL_ALLOW = [
  ..."ls pwd find which whereis file stat realpath readlink basename dirname cat head tail less more wc grep awk sed sort uniq cut tr diff echo date".split(" "),
  ..."whoami hostname uname env printenv df du free uptime ps top htop ping curl wget nslookup dig host ifconfig ip netstat ss git".split(" "),
  ..."python python3 node npm cargo rustc make cmake".split(" "),
];

/** Commands that run other programs (an argument, a script, a hook, an alias): allowing one allows anything. */
export const RUNS_PROGRAMS = new Set(
  [
    "sh bash dash zsh ksh mksh fish csh tcsh busybox env find xargs awk gawk mawk nawk sed perl python python2 python3 ruby node nodejs bun deno php lua tclsh",
    "make cmake git npm npx pnpm yarn pip pip3 uv cargo rustc go gcc cc g++ clang nice nohup timeout time watch strace ltrace gdb sudo su doas ssh",
    "scp rsync tar zip unzip vi vim nvim emacs nano less more man docker podman kubectl ip chroot unshare nsenter setsid flock script expect tmux screen",
    "systemd-run crontab at batch top htop parallel",
  ]
    .join(" ")
    .split(" "),
);

/** Commands that write files anywhere the user can (loom.toml and the agents' code included), or change the system. */
export const WRITES_FILES = new Set("cp mv tee dd curl wget sort uniq install ln chmod chown rm rmdir touch mkdir truncate patch split csplit hostname date ifconfig".split(" "));

/** Upstream's commands that neither run other programs nor write: the default when loom.toml says nothing. */
export const DEFAULT_SHELL_ALLOW = UPSTREAM_SHELL_ALLOW.filter((c) => !RUNS_PROGRAMS.has(c) && !WRITES_FILES.has(c) && !["ping", "nslookup", "dig", "host"].includes(c));

/** `[bridge] shell_allow` as a list: the preset name expanded. */
export function shellAllowList(value: readonly string[] | "upstream" | undefined): string[] {
  if (value === "upstream") return [...UPSTREAM_SHELL_ALLOW];
  return value ? [...value] : [...DEFAULT_SHELL_ALLOW];
}

/** What allowing `command` hands to whoever can call system:shell, or undefined when nothing more than its output. */
export function shellRisk(command: string): string | undefined {
  if (RUNS_PROGRAMS.has(command)) return `"${command}" can run other programs, so whoever can call system:shell can run anything as you`;
  if (WRITES_FILES.has(command)) return `"${command}" can write files anywhere you can (loom.toml and the agents' code included) or change the system`;
  return undefined;
}

/**
 * Commands that read any file the user can (`cat ~/.ssh/id_ed25519`, `grep -r KEY .env`) or the
 * environment of other processes (`ps e`): harmless only inside the tools' sandbox, which keeps
 * secrets out of their reach (docs/security.md "The tools' sandbox").
 */
export const READS_FILES = new Set("cat head tail less more wc grep cut tr diff file sort uniq ps".split(" "));

/** The default where the kernel cannot sandbox the tools (macOS, kernels without Landlock): nothing that reads or writes arbitrary files, or runs others. */
export const UNCONFINED_SHELL_ALLOW = DEFAULT_SHELL_ALLOW.filter((c) => !READS_FILES.has(c));
