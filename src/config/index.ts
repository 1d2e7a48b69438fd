export * from "./types";
export * from "./defaults";
export { loadProjectConfig, type LoadOptions } from "./load";
export { findConfigFile } from "./root";
export { expandString, expandValues, ExpandError, type ExpandWarning } from "./env/expand";
export { parseDotenv, findDotenv } from "./env/dotenv";
export { redactConfig, REDACTED } from "./env/redact";
export { toEnvVars, agentEnvVars, OTEL_DEFAULTS } from "./env/env-vars";
