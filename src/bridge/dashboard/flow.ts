/**
 * Who publishes to whom, in the shape of upstream's `/api/flow` (docs/runtime-contract.md
 * "Health", dashboard routes): nodes (agents and the EventBus) with event counts and their 20
 * latest topics, flows `agent -> EventBus` and `EventBus -> agent` per topic. Flows older than
 * 60 s and agent nodes idle for 120 s are dropped, as upstream's; both maps are capped in count
 * and in bytes (what `/api/flow` answers), so a caller inventing topics or ids cannot grow them.
 */
import { MAX_FLOW_BYTES } from "../limits";

export interface FlowNode {
  id: string;
  node_type: "agent" | "eventbus";
  event_count: number;
  topics: string[];
  last_active_ms: number;
}

export interface EventFlow {
  source: string;
  target: string;
  topic: string;
  count: number;
  last_event_ms: number;
}

export const EVENT_BUS = "EventBus";
const FLOW_TTL_MS = 60_000;
const NODE_TTL_MS = 120_000;
const MAX_TOPICS = 20;
const MAX_ENTRIES = 5_000;
const ENTRY_BYTES = 96;

export class FlowTracker {
  private readonly nodes = new Map<string, FlowNode>();
  private readonly flows = new Map<string, EventFlow>();
  /** Events published in the last seconds, for events_per_sec. */
  private readonly recent: number[] = [];
  /** About what the two maps hold, in bytes of text (ids and topics) plus a fixed cost per entry. */
  private bytes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private touch(id: string, type: FlowNode["node_type"], topic: string, at: number): void {
    let node = this.nodes.get(id);
    if (!node) {
      if (this.nodes.size >= MAX_ENTRIES) this.prune(true);
      node = { id, node_type: type, event_count: 0, topics: [], last_active_ms: at };
      this.nodes.set(id, node);
      this.bytes += ENTRY_BYTES + id.length;
    }
    node.event_count++;
    node.last_active_ms = at;
    if (!node.topics.includes(topic)) {
      node.topics.push(topic);
      this.bytes += topic.length;
      if (node.topics.length > MAX_TOPICS) this.bytes -= node.topics.shift()!.length;
    }
  }

  record(source: string, target: string, topic: string, at = this.now()): void {
    const key = `${source}\0${target}\0${topic}`;
    let flow = this.flows.get(key);
    if (!flow) {
      if (this.flows.size >= MAX_ENTRIES) this.prune(true);
      flow = { source, target, topic, count: 0, last_event_ms: at };
      this.flows.set(key, flow);
      this.bytes += ENTRY_BYTES + key.length * 2;
    }
    flow.count++;
    flow.last_event_ms = at;
    for (const id of [source, target]) this.touch(id, id === EVENT_BUS ? "eventbus" : "agent", topic, at);
    if (this.bytes > MAX_FLOW_BYTES) this.prune(true);
    if (target === EVENT_BUS) {
      this.recent.push(at);
      if (this.recent.length > 100_000) this.recent.splice(0, 50_000);
    }
  }

  /** Drops what is past its time; `hard` also halves what is left when still full. */
  prune(hard = false): void {
    const now = this.now();
    for (const [k, f] of this.flows) if (now - f.last_event_ms > FLOW_TTL_MS) this.flows.delete(k);
    for (const [k, n] of this.nodes) if (n.node_type !== "eventbus" && now - n.last_active_ms > NODE_TTL_MS) this.nodes.delete(k);
    if (hard)
      for (const map of [this.flows, this.nodes] as Map<string, unknown>[]) {
        if (map.size < MAX_ENTRIES && this.bytes <= MAX_FLOW_BYTES) continue;
        let drop = map.size / 2;
        for (const k of map.keys()) if (drop-- > 0) map.delete(k);
      }
    this.bytes = this.measure();
  }

  private measure(): number {
    let bytes = 0;
    for (const key of this.flows.keys()) bytes += ENTRY_BYTES + key.length * 2;
    for (const node of this.nodes.values()) bytes += ENTRY_BYTES + node.id.length + node.topics.reduce((n, t) => n + t.length, 0);
    return bytes;
  }

  /** Events published per second over the last 5 s. */
  eventsPerSec(): number {
    const since = this.now() - 5_000;
    while (this.recent.length && this.recent[0]! < since) this.recent.shift();
    return this.recent.length / 5;
  }

  snapshot(): { nodes: FlowNode[]; flows: EventFlow[]; timestamp: string } {
    this.prune();
    return { nodes: [...this.nodes.values()], flows: [...this.flows.values()], timestamp: new Date(this.now()).toISOString() };
  }

  activeAgents(): number {
    let n = 0;
    for (const node of this.nodes.values()) if (node.node_type === "agent") n++;
    return n;
  }

  activeFlows(): number {
    return this.flows.size;
  }
}
