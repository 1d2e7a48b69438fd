/** Which Bridge a client command talks to: --address, else the running project's, else LOOM_BRIDGE_ADDR, else loom.toml's. */
import { projectRoot } from "../config/load";
import { readLedger } from "../orchestrator/state";

export async function bridgeAddress(dir: string, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  const running = readLedger(projectRoot(dir))?.bridge.address;
  if (running) return running;
  if (process.env.LOOM_BRIDGE_ADDR) return process.env.LOOM_BRIDGE_ADDR;
  const { loadProjectConfig } = await import("../config/load");
  return (await loadProjectConfig(dir)).config.bridge.address;
}
