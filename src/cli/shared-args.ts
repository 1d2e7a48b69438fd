/** Flags that several commands share, typed once. */
import type { ArgsDef } from "citty";

export const projectArg = {
  project: {
    type: "string",
    alias: "p",
    description: "Project directory (default: the current directory; loom.toml is looked up from there)",
    valueHint: "DIR",
  },
  config: {
    type: "string",
    description: "The configuration file, when it is not the project's loom.toml (as LOOM_CONFIG; a ConfigMap's mount)",
    valueHint: "FILE",
  },
} as const satisfies ArgsDef;

export const verboseArg = {
  verbose: { type: "boolean", description: "Show stack traces and debug output" },
} as const satisfies ArgsDef;

export const jsonArg = {
  json: { type: "boolean", description: "Print JSON instead of text" },
} as const satisfies ArgsDef;
