/** Finding and loading a project's loom.toml: .env, parsing, `${VAR}` expansion, checks, defaults. */
import { LoomError } from "../errors";
import { readTextFile } from "../files/read-text";
import { findDotenv, mergeDotenv, parseDotenv } from "./env/dotenv";
import { ExpandError, expandValues, type ExpandWarning } from "./env/expand";
import { locateKey } from "./locate";
import { checkConfig, isAddress, type ConfigIssue } from "./schema";
import { rememberConfigSecrets } from "./env/redact";
import { sdkCompatWarnings } from "./sdk-compat";
import { rememberSecretsOf } from "./env/secrets";
import { parseTomlFile } from "./toml";
import type { ProjectConfig } from "./types";
import { CONFIG_FILE } from "./defaults";
import { findConfigFile, projectRoot } from "./root";

export interface LoadOptions {
  /** The real environment; defaults to process.env. It always wins over .env values. */
  env?: Record<string, string | undefined>;
}

function where(file: string, source: string, path: string[], atKey = false): string {
  const at = locateKey(source, path);
  return at ? `${file}:${at.line}:${atKey ? at.keyColumn : at.column}` : file;
}

/** "mcp.x.args[1]" -> ["mcp", "x", "args"]: array items are located by their key's line. */
function keyPathToPath(keyPath: string): string[] {
  return keyPath.replace(/\[\d+\]/g, "").split(".");
}

function formatIssue(file: string, source: string, issue: ConfigIssue): string {
  return `${where(file, source, issue.path, issue.atKey)}: ${issue.message}`;
}

/** Loads the project configuration for `dir` (the directory itself or a parent holding loom.toml). */
export async function loadProjectConfig(dir: string = process.cwd(), options: LoadOptions = {}): Promise<ProjectConfig> {
  const realEnv = options.env ?? process.env;
  const file = findConfigFile(dir, realEnv);
  const root = projectRoot(dir, realEnv);
  const envFile = findDotenv(root);
  const env = mergeDotenv(realEnv, envFile ? parseDotenv(readTextFile(envFile, ".env file")) : {});
  rememberSecretsOf(env); // from here on, no message prints their values (env/secrets.ts)

  let source = "";
  let raw: Record<string, unknown> = {};
  if (file) {
    source = readTextFile(file, "configuration file");
    raw = await parseTomlFile(file, source);
  }

  const expandWarnings: ExpandWarning[] = [];
  let expanded: Record<string, unknown>;
  try {
    expanded = expandValues(raw, env, expandWarnings);
  } catch (error) {
    if (error instanceof ExpandError && file)
      throw new LoomError("CONFIG", `${where(file, source, keyPathToPath(error.keyPath))}: ${error.message}`, { hint: error.hint, cause: error });
    throw error;
  }

  rememberConfigSecrets(expanded);
  const { config, issues, warnings } = checkConfig(expanded);
  if (issues.length > 0) {
    const line = (i: ConfigIssue) => locateKey(source, i.path)?.line ?? 0;
    const sorted = [...issues].sort((a, b) => line(a) - line(b));
    const [first, ...rest] = sorted.map((i) => formatIssue(file ?? CONFIG_FILE, source, i));
    throw new LoomError("CONFIG", first!, {
      details: rest,
      hint: issues.length > 1 ? `fix these ${issues.length} problems in ${file}` : `fix the value in ${file}`,
    });
  }
  if (env.LOOM_BRIDGE_ADDR) {
    if (!isAddress(env.LOOM_BRIDGE_ADDR))
      throw new LoomError("CONFIG", `LOOM_BRIDGE_ADDR must be host:port (like "127.0.0.1:50051"), not ${JSON.stringify(env.LOOM_BRIDGE_ADDR)}`, {
        hint: envFile ? `fix it in the environment or in ${envFile}` : "fix or unset it in the environment",
      });
    config.bridge.address = env.LOOM_BRIDGE_ADDR;
  }

  const messages = [
    ...expandWarnings.map((w) => `${where(file ?? CONFIG_FILE, source, keyPathToPath(w.keyPath))}: variable ${w.variable} is not set; \`${w.keyPath}\` uses an empty string`),
    ...warnings.map((w) => formatIssue(file ?? CONFIG_FILE, source, w)),
  ];
  const compat = file ? sdkCompatWarnings(file, source, raw) : [];
  return { config, root, file, envFile, env, warnings: messages, compatWarnings: compat };
}
