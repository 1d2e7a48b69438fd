/**
 * `loom run --watch`: the project's files, through the platform's file events (fs.watch, recursive:
 * inotify on Linux, FSEvents on macOS; never polling). Events are debounced (WATCH_DEBOUNCE_MS
 * after the last one) and handed over as one batch of project-relative paths. Ignored: loom's own
 * `.loom/`, `.git`, `node_modules`, `__pycache__`, `.venv`, and editors' temporary files (vim's
 * swap files and its `4913` probe, `~` backups, emacs' `.#` locks and `#...#` autosaves, `.tmp`),
 * so an editor's atomic save (write a temporary file, rename it over the original) is one change of
 * the original.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, relative } from "pathe";

export const WATCH_DEBOUNCE_MS = 200;
const IGNORED_DIRS = new Set([".loom", ".git", "node_modules", "__pycache__", ".venv", ".mypy_cache", ".pytest_cache"]);

export function ignoredPath(rel: string): boolean {
  const parts = rel.split(/[\\/]/);
  if (parts.some((p) => IGNORED_DIRS.has(p))) return true;
  const file = basename(rel);
  return /\.(sw[a-p]|swx|tmp|pyc)$/.test(file) || file.endsWith("~") || file.startsWith(".#") || /^#.*#$/.test(file) || file === "4913";
}

export interface ProjectWatcher {
  close(): void;
}

export function watchProject(root: string, onChange: (paths: string[]) => void, debounceMs = WATCH_DEBOUNCE_MS): ProjectWatcher {
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watcher: FSWatcher = watch(root, { recursive: true }, (_event, file) => {
    if (!file) return;
    const rel = relative(root, `${root}/${file.toString()}`);
    if (ignoredPath(rel)) return;
    pending.add(rel);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const batch = [...pending].sort();
      pending.clear();
      onChange(batch);
    }, debounceMs);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
