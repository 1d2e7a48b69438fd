/**
 * Agents against a Bridge that runs elsewhere (`loom run --bridge HOST:PORT`, or `[bridge] runtime
 * = "remote"` with `address`): no local runtime. Its readiness and liveness are its Heartbeat,
 * over TLS when the address is `https://...` or `[bridge] tls = true` (the roots Bun trusts, or
 * `ca_file`, read as loom.toml is: a regular file nobody else can write).
 */
import { resolve } from "pathe";
import { LoomError } from "../errors";
import { readTextFile } from "../files/read-text";
import { joinHostPort, parseAddress } from "../net/address";
import type { LoomConfig } from "./types";

export interface RemoteBridge {
  /** host:port, as agents get it in LOOM_BRIDGE_ADDR. */
  address: string;
  tls: boolean;
  /** PEM certificates to trust instead of the default roots. */
  ca?: string;
}

/** The remote Bridge `--bridge` (else loom.toml) names, or undefined when the runtime is local. */
export function remoteBridge(config: LoomConfig, root: string, flag?: string): RemoteBridge | undefined {
  if (!flag && config.bridge.runtime !== "remote") return undefined;
  const given = flag ?? config.bridge.address;
  const parsed = parseAddress(given);
  if (parsed?.kind !== "tcp") throw new LoomError("USAGE", `--bridge must be host:port or https://host:port, not "${given}"`);
  const tls = given.startsWith("https://") || (!given.startsWith("http://") && config.bridge.tls === true);
  const ca = caFile(config, root);
  return { address: joinHostPort(parsed.host, parsed.port), tls, ...(ca ? { ca } : {}) };
}

/** `[bridge] ca_file`, read as loom.toml is (a regular file nobody else can write), if set. */
export function caFile(config: LoomConfig, root: string): string | undefined {
  return config.bridge.ca_file ? readTextFile(resolve(root, config.bridge.ca_file), "the CA file ([bridge] ca_file)") : undefined;
}

export function describeRemote(remote: RemoteBridge): string {
  return `a remote Bridge at ${remote.address}${remote.tls ? " (TLS)" : ""}`;
}
