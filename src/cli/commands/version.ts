import { LOOM_VERSION } from "../../version";
import { loomCommand } from "../command";
import { jsonArg } from "../shared-args";

export default loomCommand({
  meta: { name: "version", description: "Print loom's version (as `loom --version`)", examples: ["loom version", "loom version --json"] },
  args: { ...jsonArg },
  run({ args }) {
    process.stdout.write(args.json ? `${JSON.stringify({ loom: LOOM_VERSION, bun: Bun.version, platform: `${process.platform}-${process.arch}` })}\n` : `loom ${LOOM_VERSION}\n`);
  },
});
