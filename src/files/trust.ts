/**
 * Files loom reads or writes on the user's behalf must not be controllable by anyone else, the way
 * ssh's StrictModes and git's `safe.directory` judge them: owned by the user (or root), and not
 * writable by others. Group-writable is accepted only for the owner's private group (user private
 * groups, as Debian's ssh does), so a umask of 002 is not punished.
 * Windows has no uid/mode bits: nothing is checked there (docs/security.md).
 */
import { readFileSync, type Stats } from "node:fs";
import { LoomError } from "../errors";

const checks = typeof process.getuid === "function";
const me = checks ? process.getuid!() : -1;

function userTable(file: string): Map<number, string> {
  const map = new Map<number, string>();
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (name && id !== undefined && /^\d+$/.test(id)) map.set(Number(id), name);
    }
  } catch {}
  return map;
}

let users: Map<number, string> | undefined;
let groups: Map<number, string> | undefined;
export function userName(uid: number): string {
  users ??= userTable("/etc/passwd");
  return users.get(uid) ?? `uid ${uid}`;
}
function groupName(gid: number): string | undefined {
  groups ??= userTable("/etc/group");
  return groups.get(gid);
}

export const mode = (st: Stats) => `0${(st.mode & 0o777).toString(8).padStart(3, "0")}`;

/** Why `st` cannot be trusted, or undefined when it can. */
export function distrust(st: Stats): string | undefined {
  if (!checks) return undefined;
  if (st.uid !== me && st.uid !== 0) return `it is owned by ${userName(st.uid)}, not by you`;
  // A sticky directory (like /tmp) lets others add entries but not replace ours.
  if (st.isDirectory() && st.mode & 0o1000) return undefined;
  if (st.mode & 0o002) return `it is writable by everyone (mode ${mode(st)})`;
  if (st.mode & 0o020 && groupName(st.gid) !== userName(st.uid)) return `it is writable by group ${groupName(st.gid) ?? st.gid} (mode ${mode(st)})`;
  return undefined;
}

/** True when `st` is owned by someone other than the user and root: an upward search stops there. */
export function ownedByStranger(st: Stats): boolean {
  return checks && st.uid !== me && st.uid !== 0;
}

/** Throws (exit 2) naming the file, its owner and mode, and the fix, when `st` cannot be trusted. */
export function assertTrusted(path: string, st: Stats, what: string): void {
  const why = distrust(st);
  if (!why) return;
  const fix = st.uid !== me && st.uid !== 0 ? `if it is yours, \`chown ${userName(me)} ${path}\`; otherwise do not use it` : `\`chmod go-w ${path}\``;
  throw new LoomError("CONFIG", `refusing to use ${what} ${path}: ${why}`, {
    hint: `another user could change what loom does through it; ${fix}`,
  });
}
