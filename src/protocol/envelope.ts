/**
 * The envelope upstream's event bus writes into every published event's metadata
 * (docs/runtime-contract.md "Bridge protocol", Metadata): what the publisher left out is filled,
 * unprefixed, and what it gave is kept (numbers as they parse): `thread_id` (the event id),
 * `correlation_id` (the thread id), `sender` (empty), `reply_to`, `ttl` 16, `hop` 0, `ts` (now).
 * One difference, documented in docs/embedded-bridge.md: a missing `reply_to` is the publisher's
 * own `agent.<id>.replies`, where upstream writes `thread.<thread_id>.reply`, which nobody
 * subscribes to, so a reply to a plain `emit` reaches its sender here.
 */

import type { EventInit } from "./loom.generated";

/** An event as the Bridge handles it: loom.proto's Event, any field possibly missing (as sent). */
export type WireEvent = EventInit;

function integer(value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !/^[+-]?\d+$/.test(value.trim())) return fallback;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : fallback;
}

/** The metadata an event is delivered with, published by agent `from`. */
export function envelopeMetadata(event: WireEvent, from: string, now = Date.now()): Record<string, string> {
  const meta = { ...(event.metadata ?? {}) };
  const thread = meta.thread_id ?? event.id ?? "";
  meta.thread_id = thread;
  meta.correlation_id = meta.correlation_id ?? thread;
  meta.sender = meta.sender ?? "";
  meta.reply_to = meta.reply_to ?? `agent.${from}.replies`;
  meta.ttl = String(integer(meta.ttl, 16, -(2 ** 31), 2 ** 31 - 1));
  meta.hop = String(integer(meta.hop, 0, 0, 2 ** 32 - 1));
  meta.ts = String(integer(meta.ts, now, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  return meta;
}

/** Bytes an event takes in a queue: its payload and strings, near enough to bound memory by. */
export function eventBytes(topic: string, event: WireEvent): number {
  let n = 64 + topic.length + (event.payload?.length ?? 0) + (event.id?.length ?? 0) + (event.type?.length ?? 0) + (event.source?.length ?? 0);
  for (const [k, v] of Object.entries(event.metadata ?? {})) n += k.length + v.length + 8;
  for (const t of event.tags ?? []) n += t.length + 4;
  return n;
}
