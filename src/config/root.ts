/**
 * Where a project is: its loom.toml and directory. Apart from load.ts so that a command that only
 * needs the directory (pub, status, down, the completions) does not evaluate the configuration's
 * schema, TOML and .env modules to learn it.
 */
import { dirname, resolve } from "pathe";
import { findUpward } from "../files/find-upward";
import { CONFIG_FILE } from "./defaults";

/**
 * The configuration file: LOOM_CONFIG (`--config FILE`) when set, read from wherever it is (a
 * Kubernetes ConfigMap's mount); else loom.toml in `dir` or the nearest parent that has one
 * (files/find-upward.ts says which count).
 */
export function findConfigFile(dir: string, env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.LOOM_CONFIG) return resolve(env.LOOM_CONFIG);
  return findUpward(dir, CONFIG_FILE);
}

/** The project directory for `dir`: where its loom.toml is, or `dir` itself when there is none or it is given by LOOM_CONFIG. */
export function projectRoot(dir: string, env: Record<string, string | undefined> = process.env): string {
  const file = env.LOOM_CONFIG ? undefined : findConfigFile(dir, env);
  return file ? dirname(file) : resolve(dir);
}
