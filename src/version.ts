import pkg from "../package.json" with { type: "json" };

/** loom's own version, from package.json (inlined at build time). */
export const LOOM_VERSION: string = pkg.version;
