export { platformTag, exeName, PLATFORMS, type PlatformTag } from "./platform";
export { cacheDir, binaryPath, listCache, cachedFileName, type CacheEntry } from "./cache";
export { getBinary, type GetBinaryOptions, type BinaryResult, type BinarySource } from "./get-binary";
export { BINARY_OF_MODE, WORKSPACE_BINARY } from "./names";
export { normalizeVersion, isLatest } from "./release/versions";
export { cleanCache, type CleanResult } from "./clean";
export type { InstallHooks } from "./install";
