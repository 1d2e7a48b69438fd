/**
 * Which Bridge a client command talks to: --address, else the running project's, else
 * LOOM_BRIDGE_ADDR, else loom.toml's; and whether over TLS (an `https://` address, a running
 * remote Bridge over TLS, or `[bridge] runtime = "remote"` with TLS; orchestrator/remote.ts).
 */
import * as grpc from "@grpc/grpc-js";
import { projectRoot } from "../config/load";
import { ipAddress } from "../orchestrator/ports";
import { readLedger } from "../orchestrator/state";

export interface BridgeTarget {
  /** host:port; an IP literal unless TLS needs the host name for the certificate. */
  address: string;
  /** The address as given (a host name stays a name), for messages. */
  shown: string;
  tls?: { ca?: string };
}

async function caOf(dir: string): Promise<string | undefined> {
  const { loadProjectConfig } = await import("../config/load");
  const { caFile } = await import("../orchestrator/remote");
  try {
    const { config, root } = await loadProjectConfig(dir);
    return caFile(config, root);
  } catch {
    return undefined;
  }
}

export async function bridgeTarget(dir: string, explicit?: string): Promise<BridgeTarget> {
  const plain = async (address: string): Promise<BridgeTarget> => ({ address: await ipAddress(address), shown: address });
  const secure = async (address: string, ca?: string): Promise<BridgeTarget> => ({ address, shown: `https://${address}`, tls: { ca: ca ?? (await caOf(dir)) } });
  if (explicit) {
    const url = /^(https?):\/\/(.*)$/.exec(explicit);
    if (!url) return plain(explicit);
    return url[1] === "https" ? secure(url[2]!) : plain(url[2]!);
  }
  const running = readLedger(projectRoot(dir))?.bridge;
  if (running) return running.tls ? secure(running.address) : plain(running.address);
  if (process.env.LOOM_BRIDGE_ADDR) return plain(process.env.LOOM_BRIDGE_ADDR);
  const { loadProjectConfig } = await import("../config/load");
  const { remoteBridge } = await import("../orchestrator/remote");
  const { config, root } = await loadProjectConfig(dir);
  const remote = remoteBridge(config, root);
  if (remote?.tls) return secure(remote.address, remote.ca);
  return plain(remote?.address ?? config.bridge.address);
}

/** grpc-js credentials for a target: TLS with its CA (or the default roots), else plaintext. */
export function credentialsFor(target: BridgeTarget): grpc.ChannelCredentials {
  return target.tls ? grpc.credentials.createSsl(target.tls.ca ? Buffer.from(target.tls.ca) : undefined) : grpc.credentials.createInsecure();
}
