/**
 * What the dashboard reads of a Bridge: the events it follows and the agents it lists. The
 * embedded Bridge (bridge/server.ts) provides it; the types live here, where they are consumed,
 * so the Bridge depends on the dashboard's interface and not the other way round.
 */
import type { WireEvent } from "../../protocol/envelope";
import type { SpanStore } from "../../telemetry/spans";

/** What happens in the Bridge, as the dashboard follows it (upstream's dashboard event types). */
export type BridgeEvent =
  | { kind: "published"; topic: string; from: string; event: WireEvent; at: number }
  | { kind: "delivered"; topic: string; pattern: string; to: string; event: WireEvent; at: number }
  | { kind: "registered"; agentId: string; topics: string[]; tools: string[]; at: number }
  | { kind: "unregistered"; agentId: string; at: number }
  | { kind: "tool"; name: string; id: string; status: string; ms: number; at: number };

export interface AgentView {
  id: string;
  /** Open event streams of the id: one per replica (loom's; not in upstream's topology). */
  streams?: number;
  topics: string[];
  capabilities: string[];
  connected: boolean;
}

export interface Topology {
  agents: AgentView[];
}

export interface DashboardSource {
  feed: Set<(e: BridgeEvent) => void>;
  startedAt: number;
  topology(): Topology;
  /** Publishes `event` on `topic` as agent `from` (the page's test events). */
  publish?(from: string, topic: string, event: WireEvent): Promise<void> | undefined;
  bus: {
    stats: { published: number; delivered: number; dropped?: number; waits: number; waitedMs: number; stalled: number };
    totalBytes: number;
    streams: Set<{ patterns: readonly string[] }>;
  };
  /** MCP servers started and serving tools. */
  mcpServersActive?(): number;
  /** Whether `name` is a tool the Bridge or an agent serves (a caller's invented name is not). */
  knowsTool?(name: string): boolean;
  /** The Bridge's spans (upstream's span API). */
  spans?: SpanStore;
}
