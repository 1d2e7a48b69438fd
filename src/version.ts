import pkg from "../package.json" with { type: "json" };

/** Set by `bun build --define` for release builds of another version than package.json's. */
declare const LOOM_BUILD_VERSION: string | undefined;

/** loom's own version (inlined at build time). */
export const LOOM_VERSION: string = typeof LOOM_BUILD_VERSION === "string" ? LOOM_BUILD_VERSION : pkg.version;
