import { loomCommand } from "../command";
import { cacheDir, listCache } from "../../binaries/cache";
import { cleanCache } from "../../binaries/clean";
import { LoomError } from "../../errors";
import { log } from "../log";
import { jsonArg } from "../shared-args";

const list = loomCommand({
  meta: { name: "list", description: "List cached runtime binaries", examples: ["loom cache list", "loom cache list --json"] },
  args: { ...jsonArg },
  run({ args }) {
    const entries = listCache();
    if (args.json) return void process.stdout.write(JSON.stringify(entries, null, 2) + "\n");
    if (entries.length === 0) return void process.stdout.write(`no cached binaries in ${cacheDir()}\n`);
    for (const e of entries)
      process.stdout.write(
        `${e.name.padEnd(20)} ${e.version.padEnd(10)} ${e.platform.padEnd(15)} ${(e.size / 1e6).toFixed(1).padStart(7)} MB  ${e.sha256 ? e.sha256.slice(0, 12) : "(no checksum)"}\n`,
      );
  },
});

const path = loomCommand({
  meta: { name: "path", description: "Print the cache directory", examples: ["loom cache path"] },
  args: { ...jsonArg },
  run({ args }) {
    process.stdout.write(args.json ? JSON.stringify({ path: cacheDir() }) + "\n" : `${cacheDir()}\n`);
  },
});

const clean = loomCommand({
  meta: {
    name: "clean",
    description: "Remove cached binaries of one version, or everything loom cached",
    examples: ["loom cache clean --version 0.1.0", "loom cache clean --all"],
  },
  args: {
    version: { type: "string", description: "Remove the binaries of this version", valueHint: "V" },
    all: { type: "boolean", description: "Remove every cached binary, checksums.txt and loom's temporary files" },
    ...jsonArg,
  },
  async run({ args }) {
    if (!args.version === !args.all)
      throw new LoomError("USAGE", "`loom cache clean` needs exactly one of --version V or --all", { hint: "loom cache clean --version 0.1.0, or loom cache clean --all" });
    const result = await cleanCache({ version: args.version, all: args.all });
    if (args.json) return void process.stdout.write(JSON.stringify(result) + "\n");
    if (result.removed.length === 0) log.info(`nothing to remove in ${result.dir}`);
    for (const f of result.removed) log.success(`removed ${f}`);
  },
});

export default loomCommand({
  meta: { name: "cache", description: "Inspect and clean the shared runtime binary cache", examples: ["loom cache list", "loom cache path", "loom cache clean --all"] },
  subCommands: { list, path, clean },
});
