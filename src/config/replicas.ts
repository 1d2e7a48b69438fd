/**
 * Replicas of an agent and how the Bridge delivers to them (docs/embedded-bridge.md "Replicas"):
 * `[agents.<id>] replicas = N` runs N processes of the agent (pods, on Kubernetes); `delivery`
 * says whether every stream of the id gets each event ("each", upstream's semantics, right for one
 * process) or one of them does, in turn ("shared": replicas share the work, and the others take
 * over when one leaves). The default is "shared" with more than one replica, else "each". The
 * table's key is the agent's id (the one it registers with).
 */
import { LoomError } from "../errors";
import { isTable } from "./typos";
import type { LoomConfig } from "./types";

export const MAX_REPLICAS = 64;
export const DELIVERIES = ["each", "shared"] as const;
export type Delivery = (typeof DELIVERIES)[number];

export function replicasOf(id: string, settings: Record<string, unknown>): number {
  const r = settings.replicas ?? 1;
  if (typeof r === "number" && Number.isInteger(r) && r >= 1 && r <= MAX_REPLICAS) return r;
  throw new LoomError("CONFIG", `\`agents.${id}.replicas\` must be a whole number from 1 to ${MAX_REPLICAS}, not ${JSON.stringify(r)}`, { hint: "fix it in loom.toml" });
}

export function deliveryOf(id: string, settings: Record<string, unknown>): Delivery {
  const d = settings.delivery ?? (replicasOf(id, settings) > 1 ? "shared" : "each");
  if (typeof d === "string" && (DELIVERIES as readonly string[]).includes(d)) return d as Delivery;
  throw new LoomError("CONFIG", `\`agents.${id}.delivery\` must be "each" or "shared", not ${JSON.stringify(d)}`, { hint: "fix it in loom.toml" });
}

/** The ids whose streams share the work (LOOM_SHARED_AGENTS, read by the embedded Bridge). */
export function sharedAgentIds(config: LoomConfig): string[] {
  return Object.entries(config.agents)
    .filter(([id, raw]) => isTable(raw) && deliveryOf(id, raw) === "shared")
    .map(([id]) => id);
}
