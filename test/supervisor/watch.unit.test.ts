/** `--watch`'s file events: what is ignored, and how a burst of events becomes one batch. */
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { ignoredPath, type ProjectWatcher, watchProject } from "../../src/supervisor/watch";
import { tempDir } from "../helpers/tmp";

const watchers: ProjectWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
});

test("loom's state, VCS and package folders, and editors' temporary files are ignored", () => {
  for (const path of [
    ".loom/state.json",
    ".git/index",
    "node_modules/x/index.js",
    "agents/__pycache__/a.pyc",
    ".venv/bin/python",
    "agents/.a.py.swp",
    "agents/a.py~",
    "agents/.#a.py",
    "agents/#a.py#",
    "agents/4913",
    "x.tmp",
  ])
    expect({ path, ignored: ignoredPath(path) }).toEqual({ path, ignored: true });
  for (const path of ["agents/a.py", "loom.toml", ".env", "prompts/system.txt", "agents/lib/util.py", "gitignore.md"])
    expect({ path, ignored: ignoredPath(path) }).toEqual({ path, ignored: false });
});

test("an editor's atomic save is one change of the file; a burst is one batch; .loom/ never shows", async () => {
  const root = tempDir();
  mkdirSync(join(root, "agents"));
  mkdirSync(join(root, ".loom"));
  const batches: string[][] = [];
  watchers.push(watchProject(root, (paths) => batches.push(paths), 100));
  await Bun.sleep(0); // let the watcher start before the first write
  writeFileSync(join(root, "agents/.a.py.swp"), "swap");
  writeFileSync(join(root, "agents/a.py.tmp"), "print(2)\n");
  renameSync(join(root, "agents/a.py.tmp"), join(root, "agents/a.py"));
  writeFileSync(join(root, "loom.toml"), 'name = "x"\n');
  writeFileSync(join(root, ".loom/state.json"), "{}");
  const deadline = Date.now() + 5_000;
  while (batches.length === 0 && Date.now() < deadline) await Bun.sleep(5);
  // A later change is a batch of its own: had the burst been split, its rest would come with it
  // (file events arrive in order), so no fixed wait is needed to prove it was not.
  writeFileSync(join(root, "agents/b.py"), "print(3)\n");
  while (batches.length < 2 && Date.now() < deadline) await Bun.sleep(5);
  expect(batches).toEqual([["agents/a.py", "loom.toml"], ["agents/b.py"]]);
});
