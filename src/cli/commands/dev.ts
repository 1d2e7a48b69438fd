import { loomCommand } from "../command";
import { findLocalBuild } from "../../binaries/local";
import { binaryNameFor } from "../../binaries/names";
import { platformTag } from "../../binaries/platform";
import { loadProjectConfig } from "../../config/load";
import { LoomError } from "../../errors";
import { projectArg } from "../shared-args";
import { startCommand } from "./up";

const BUILD = "cargo build --release -p loom-bridge --bin loom-bridge-server";

export default loomCommand({
  meta: {
    name: "dev",
    description: "Start the runtime from a local build (target/release or target/debug of a loom checkout) and keep it running, as upstream's `loom dev`",
    examples: ["loom dev", "loom dev --port 50052", "loom dev --use-debug"],
  },
  args: {
    ...projectArg,
    port: { type: "string", description: "Bridge port (default: [bridge] address's)", valueHint: "N" },
    "use-debug": { type: "boolean", description: "Prefer target/debug over target/release" },
  },
  async run({ args }) {
    const { config, root } = await loadProjectConfig(args.project ?? process.cwd());
    const name = binaryNameFor(config.bridge.mode, config.bridge.binary);
    const local = findLocalBuild(name, root, platformTag(), Boolean(args["use-debug"]), process.env);
    if (!local)
      throw new LoomError(
        "DOWNLOAD",
        `no local build of the runtime: no ${name} (or loom-bridge-server) in target/release or target/debug from ${root} up to the Cargo workspace`,
        {
          hint: `build it in a loom checkout with \`${BUILD}\` (CARGO_TARGET_DIR is honoured), or \`loom up\` for a released or the embedded runtime`,
        },
      );
    return await startCommand({ project: root, "bridge-port": args.port, "use-debug": args["use-debug"], runtime: "native" }, false, undefined, {
      path: local.path,
      source: "local",
    });
  },
});
