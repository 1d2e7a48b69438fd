/**
 * Agent registrations (RegisterAgent), as upstream keeps them: topics and tools under the agent
 * id, a later call replacing them, read when an EventStream of that id opens. Bounded here
 * (limits.ts): a registration with no open stream is forgotten after REGISTRATION_TTL_MS, at most
 * MAX_IDLE_REGISTRATIONS are kept (the oldest goes first), and one registration is at most
 * MAX_REGISTRATION_BYTES, so RegisterAgent without a stream cannot grow the Bridge.
 */
import { MAX_IDLE_REGISTRATIONS, MAX_REGISTRATION_BYTES, REGISTRATION_TTL_MS } from "./limits";

export interface ToolInfo {
  name: string;
  description?: string;
  parameters_schema?: string;
}

export interface Registration {
  topics: string[];
  tools: ToolInfo[];
  /** Open EventStreams of this id. */
  streams: number;
  /** When it last had no open stream (registered, or its last stream ended). */
  idleSince?: number;
}

export function registrationBytes(topics: readonly string[], tools: readonly ToolInfo[], metadata: Record<string, string> = {}): number {
  let n = 0;
  for (const t of topics) n += t.length + 8;
  for (const t of tools) n += t.name.length + (t.description?.length ?? 0) + (t.parameters_schema?.length ?? 0) + 16;
  for (const [k, v] of Object.entries(metadata)) n += k.length + v.length;
  return n;
}

export class AgentDirectory {
  readonly byId = new Map<string, Registration>();
  /** Registrations with no open stream. */
  private idle = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Stores a registration; returns why it is refused, if it is. */
  register(id: string, topics: string[], tools: ToolInfo[], bytes: number): string | undefined {
    if (bytes > MAX_REGISTRATION_BYTES) return `registration of ${id} is ${bytes} bytes, over the ${MAX_REGISTRATION_BYTES}-byte limit`;
    const existing = this.byId.get(id);
    const streams = existing?.streams ?? 0;
    if (existing && streams === 0) this.idle--;
    // Re-inserted: the map's order is the order of last registration, oldest first.
    this.byId.delete(id);
    this.byId.set(id, { topics, tools, streams, idleSince: streams ? undefined : this.now() });
    if (streams === 0) this.idle++;
    for (const [other, reg] of this.byId) {
      if (this.idle <= MAX_IDLE_REGISTRATIONS) break;
      if (reg.streams > 0) continue;
      this.byId.delete(other);
      this.idle--;
    }
    return undefined;
  }

  /** An EventStream of `id` opened: the topics it subscribes to (none when never registered). */
  attach(id: string): string[] {
    const reg = this.byId.get(id);
    if (!reg) return [];
    if (reg.streams++ === 0) this.idle--;
    reg.idleSince = undefined;
    return [...reg.topics];
  }

  detach(id: string): void {
    const reg = this.byId.get(id);
    if (!reg || reg.streams === 0) return;
    if (--reg.streams === 0) {
      reg.idleSince = this.now();
      this.idle++;
    }
  }

  connected(id: string): boolean {
    return (this.byId.get(id)?.streams ?? 0) > 0;
  }

  /** Forgets registrations idle past REGISTRATION_TTL_MS (the server runs it every few seconds). */
  sweep(): void {
    const now = this.now();
    for (const [id, reg] of this.byId)
      if (reg.idleSince !== undefined && now - reg.idleSince >= REGISTRATION_TTL_MS) {
        this.byId.delete(id);
        this.idle--;
      }
  }
}
