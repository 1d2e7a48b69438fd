export * from "./types";
export * from "./defaults";
export { loadProjectConfig, findConfigFile, type LoadOptions } from "./load";
export { expandString, expandValues, ExpandError, type ExpandWarning } from "./expand";
export { parseDotenv, findDotenv } from "./dotenv";
export { redactConfig, REDACTED } from "./redact";
export { toEnvVars, agentEnvVars, OTEL_DEFAULTS } from "./env-vars";
