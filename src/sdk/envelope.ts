/**
 * An event as the SDK hands it to an agent, and the envelope fields upstream's Python SDK keeps in
 * an event's metadata: written under `loom.`-prefixed keys, read prefixed first, then bare (the
 * keys the runtime fills itself; docs/runtime-contract.md "Bridge protocol", Metadata).
 */
import type { WireEvent } from "../protocol/envelope";

/** A payload: bytes as they are, a string as UTF-8, anything else as JSON. */
export type Payload = Uint8Array | string | number | boolean | null | object;

export function payloadBytes(payload: Payload | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array();
  if (payload instanceof Uint8Array) return payload;
  return new TextEncoder().encode(typeof payload === "string" ? payload : JSON.stringify(payload));
}

export interface EnvelopeFields {
  threadId?: string;
  correlationId?: string;
  sender?: string;
  replyTo?: string;
}

const KEYS: Record<keyof EnvelopeFields, string> = { threadId: "thread_id", correlationId: "correlation_id", sender: "sender", replyTo: "reply_to" };

export class Envelope {
  constructor(
    readonly id: string,
    readonly type: string,
    readonly payload: Uint8Array,
    readonly metadata: Record<string, string> = {},
    readonly timestampMs = Date.now(),
    readonly source = "typescript",
    readonly tags: string[] = [],
    readonly priority = 50,
  ) {}

  get threadId(): string | undefined {
    return this.field("threadId");
  }
  get correlationId(): string | undefined {
    return this.field("correlationId");
  }
  get sender(): string | undefined {
    return this.field("sender");
  }
  get replyTo(): string | undefined {
    return this.field("replyTo");
  }

  private field(name: keyof EnvelopeFields): string | undefined {
    return this.metadata[`loom.${KEYS[name]}`] || this.metadata[KEYS[name]] || undefined;
  }

  /** The payload as UTF-8 text. */
  text(): string {
    return new TextDecoder().decode(this.payload);
  }

  /** The payload parsed as JSON; throws when it is not JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /**
   * A new envelope of `type`, its envelope fields written under the `loom.` prefix; its `source`
   * is the sending agent's id (as `loom pub` writes its own), so a subscriber sees who sent it.
   */
  static create(type: string, payload: Payload | undefined, fields: EnvelopeFields = {}, metadata: Record<string, string> = {}): Envelope {
    const meta = { ...metadata };
    for (const [name, key] of Object.entries(KEYS)) {
      const value = fields[name as keyof EnvelopeFields];
      if (value !== undefined) meta[`loom.${key}`] = value;
    }
    return new Envelope(crypto.randomUUID(), type, payloadBytes(payload), meta, Date.now(), fields.sender ?? "typescript");
  }

  /** @internal An event as the Bridge delivered it. */
  static fromWire(event: WireEvent): Envelope {
    return new Envelope(
      event.id ?? "",
      event.type ?? "",
      event.payload ?? new Uint8Array(),
      event.metadata ?? {},
      Number(event.timestamp_ms ?? 0),
      event.source ?? "",
      event.tags ?? [],
      event.priority ?? 0,
    );
  }

  /** @internal The event to publish. */
  toWire(): WireEvent {
    return {
      id: this.id,
      type: this.type,
      timestamp_ms: this.timestampMs,
      source: this.source,
      metadata: this.metadata,
      payload: this.payload,
      confidence: 1,
      tags: this.tags,
      priority: this.priority,
    };
  }
}
