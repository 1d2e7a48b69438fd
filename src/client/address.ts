/**
 * Which Bridge a client command talks to: --address, else the running project's, else
 * LOOM_BRIDGE_ADDR, else loom.toml's; and whether over TLS (an `https://` address, a running
 * remote Bridge over TLS, or `[bridge] runtime = "remote"` with TLS; config/remote.ts).
 */
import { lstatSync } from "node:fs";
import { projectRoot } from "../config/root";
import { ADDRESS_FORMS, parseAddress } from "../net/address";
import { LoomError } from "../errors";
import { ipAddress } from "../net/ports";
import { readLedger } from "../state/ledger";

export interface BridgeTarget {
  /** host:port; an IP literal unless TLS needs the host name for the certificate. */
  address: string;
  /** The address as given (a host name stays a name), for messages. */
  shown: string;
  tls?: { ca?: string };
}

async function caOf(dir: string): Promise<string | undefined> {
  const { loadProjectConfig } = await import("../config/load");
  const { caFile } = await import("../config/remote");
  try {
    const { config, root } = await loadProjectConfig(dir);
    return caFile(config, root);
  } catch {
    return undefined;
  }
}

/** Refuses what is not a Bridge address (net/address.ts). */
function checkAddress(address: string, from: string): void {
  if (parseAddress(address)) return;
  throw new LoomError("USAGE", `${from} ${JSON.stringify(address)} is not a Bridge address`, { hint: `give ${ADDRESS_FORMS}` });
}

export async function bridgeTarget(dir: string, explicit?: string): Promise<BridgeTarget> {
  const plain = async (address: string): Promise<BridgeTarget> =>
    address.startsWith("unix:")
      ? { address, shown: address }
      : { address: await ipAddress(address, "check the host name (is it spelled right, and does this machine resolve it?), or give its IP address"), shown: address };
  const secure = async (address: string, ca?: string): Promise<BridgeTarget> => ({ address, shown: `https://${address}`, tls: { ca: ca ?? (await caOf(dir)) } });
  const given = (text: string, from: string) => {
    checkAddress(text, from);
    const url = /^(https?):\/\/(.*)$/.exec(text);
    if (!url) return plain(text);
    return url[1] === "https" ? secure(url[2]!) : plain(url[2]!);
  };
  if (explicit) return given(explicit, "--address");
  const running = readLedger(projectRoot(dir))?.bridge;
  // The embedded Bridge's own socket: only its owner can open it (bridge/listen.ts).
  if (running?.socket && lstatSync(running.socket, { throwIfNoEntry: false })?.isSocket()) return { address: `unix:${running.socket}`, shown: `unix:${running.socket}` };
  if (running) return running.tls ? secure(running.address) : plain(running.address);
  if (process.env.LOOM_BRIDGE_ADDR) return given(process.env.LOOM_BRIDGE_ADDR, "LOOM_BRIDGE_ADDR");
  const { loadProjectConfig } = await import("../config/load");
  const { remoteBridge } = await import("../config/remote");
  const { config, root } = await loadProjectConfig(dir);
  const remote = remoteBridge(config, root);
  if (remote?.tls) return secure(remote.address, remote.ca);
  return plain(remote?.address ?? config.bridge.address);
}
