import { loomCommand } from "../command";
import { describeBinary, getBinary } from "../../binaries/get-binary";
import { RUNTIME_CHOICES, type RuntimeChoice } from "../../config/types";
import { runtimeUnavailable } from "../../binaries/alarm";
import { binaryNameFor } from "../../binaries/names";
import type { BridgeMode } from "../../config/types";
import { loadProjectConfig } from "../../config/load";
import { log } from "../log";
import { installHooks } from "../progress";
import { projectArg } from "../shared-args";

export const binaryArgs = {
  "force-download": { type: "boolean", description: "Skip local builds and the cache; download and verify again" },
  "use-debug": { type: "boolean", description: "Prefer target/debug over target/release (as LOOM_PREFER_DEBUG=1)" },
} as const;

export default loomCommand({
  meta: {
    name: "install",
    description: "Fetch the runtime binaries without starting them (CI warm-up, container images)",
    examples: ["loom install", "loom install --mode all --version 0.1.0", "LOOM_DOWNLOAD_BASE_URL=https://mirror.example/loom loom install --force-download"],
  },
  args: {
    ...projectArg,
    mode: {
      type: "enum",
      options: ["full", "bridge-only", "all"],
      description: "Which runtime: full (loom-core), bridge-only (loom-bridge) or all (default: loom.toml's bridge.mode)",
    },
    version: { type: "string", description: "Runtime version (default: loom.toml's bridge.version, else latest)", valueHint: "V" },
    runtime: {
      type: "enum",
      options: [...RUNTIME_CHOICES],
      description: "native fails when no binary can be had; auto (the default: [bridge] runtime) then says the embedded Bridge will run; embedded has nothing to fetch",
    },
    ...binaryArgs,
  },
  async run({ args }) {
    const project = await loadProjectConfig(args.project ?? process.cwd());
    for (const w of project.warnings) log.warn(w);
    const { bridge } = project.config;
    const choice: RuntimeChoice = (args.runtime as RuntimeChoice | undefined) ?? bridge.runtime ?? "auto";
    if (choice === "embedded" || choice === "remote") {
      log.success(choice === "remote" ? "runtime: a remote Bridge; nothing to install here" : "runtime: the embedded Bridge (inside loom); nothing to install");
      return;
    }
    const modes: BridgeMode[] = args.mode === "all" ? ["full", "bridge-only"] : [(args.mode as BridgeMode | undefined) ?? bridge.mode];
    const names = [...new Set(modes.map((m) => binaryNameFor(m, bridge.binary)))];
    for (const name of names) {
      const result = await getBinary({
        name,
        version: args.version ?? bridge.version,
        projectDir: project.root,
        forceDownload: args["force-download"],
        preferDebug: args["use-debug"] || undefined,
        env: { ...process.env },
        hooks: installHooks(),
        fresh: true,
      }).catch((error) => {
        // As `up` decides (launch/prepare.ts): only a runtime that cannot be had falls back.
        if (choice === "native" || !runtimeUnavailable(error)) throw error;
        log.warn(`no native ${name} (${error.message}); \`loom up\` and \`loom run\` will use the embedded Bridge (--runtime native to make this an error)`);
        return undefined;
      });
      if (result) log.success(`${name}: ${describeBinary(result, project.root)}`);
    }
  },
});
