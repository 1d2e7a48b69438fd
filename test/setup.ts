/**
 * Preloaded by bun test (bunfig.toml): hooks for every test of every file. Hooks registered inside
 * a shared helper module would attach only to the first test file that imports it.
 */
import { afterAll, afterEach } from "bun:test";
import { stopEverything, stopReleaseServer } from "./helpers/runtime";
import { removeTempDirs } from "./helpers/tmp";

afterEach(stopEverything);
afterAll(() => {
  stopReleaseServer();
  removeTempDirs();
});
