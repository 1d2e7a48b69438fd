/**
 * Delivery of published events to the open EventStreams, with upstream's semantics
 * (docs/runtime-contract.md "Bridge protocol"): every subscription of every stream whose pattern
 * matches gets its own delivery, naming the pattern; nothing is dropped: a stream whose queue is
 * full makes its publishers wait (the server stops reading their streams) until it drains.
 * Queues are bounded by count as upstream's channels are (STREAM_QUEUE + SUBSCRIPTION_QUEUE per
 * subscription) and by bytes, per stream and in total, so a caller cannot grow the Bridge's memory
 * (limits.ts). A stream that is full and takes nothing for STALLED_STREAM_MS is cut off.
 * The streams of an agent id in `shared` (replicas that share the work, config/replicas.ts) take
 * turns instead: each matching event goes to one of them, the next one not full in turn.
 */
import { IN_FLIGHT_BYTES, STALLED_STREAM_MS, STREAM_QUEUE, STREAM_QUEUE_BYTES, SUBSCRIPTION_QUEUE, TOTAL_QUEUE_BYTES } from "./limits";
import { matches } from "./topics";

/** Where a stream's messages go: grpc-js's ServerDuplexStream, or a test double. */
export interface Sink {
  /** Returns false when the sink wants no more until "drain"; `done` runs once the message left. */
  write(message: unknown, done: () => void): boolean;
  onDrain(listener: () => void): void;
  /** Ends the stream with an error status (a stalled subscriber). */
  fail(code: "RESOURCE_EXHAUSTED", message: string): void;
}

interface Queued {
  message: unknown;
  bytes: number;
}

export class BusStream {
  readonly queue: Queued[] = [];
  head = 0;
  queuedBytes = 0;
  inFlight = 0;
  writable = true;
  closed = false;
  lastProgress = Date.now();
  readonly limit: number;

  constructor(
    readonly id: number,
    readonly agentId: string,
    readonly patterns: readonly string[],
    readonly sink: Sink,
  ) {
    this.limit = STREAM_QUEUE + SUBSCRIPTION_QUEUE * Math.max(patterns.length, 1);
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  get full(): boolean {
    return this.length >= this.limit || this.queuedBytes >= STREAM_QUEUE_BYTES;
  }
}

export interface BusStats {
  published: number;
  delivered: number;
  /** Queued messages (deliveries, pongs, tool calls) of streams that ended or were cut off before they were sent. */
  dropped: number;
  /** Publishes that had to wait for a full stream, and how long they waited in all. */
  waits: number;
  waitedMs: number;
  /** Streams cut off because they stopped reading. */
  stalled: number;
}

export class EventBus {
  readonly streams = new Set<BusStream>();
  readonly stats: BusStats = { published: 0, delivered: 0, dropped: 0, waits: 0, waitedMs: 0, stalled: 0 };
  totalBytes = 0;
  private nextId = 1;
  private waiters = new Set<() => void>();
  private sweeper?: ReturnType<typeof setInterval>;
  /** Agent ids whose streams share the work; whose turn it is, per id and pattern. */
  shared: ReadonlySet<string> = new Set();
  private readonly turns = new Map<string, number>();

  /** `queued` is told the bytes of every message queued (the server's collection pace). */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly queued?: (bytes: number) => void,
  ) {}

  open(agentId: string, patterns: readonly string[], sink: Sink): BusStream {
    const stream = new BusStream(this.nextId++, agentId, patterns, sink);
    stream.lastProgress = this.now();
    sink.onDrain(() => {
      stream.writable = true;
      this.pump(stream);
    });
    this.streams.add(stream);
    this.sweeper ??= setInterval(() => this.cutStalled(), Math.min(5_000, STALLED_STREAM_MS / 2));
    this.sweeper.unref?.();
    return stream;
  }

  close(stream: BusStream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.streams.delete(stream);
    this.stats.dropped += stream.length; // queued for a stream that ended or was cut off
    this.totalBytes -= stream.queuedBytes;
    stream.queuedBytes = 0;
    stream.queue.length = 0;
    stream.head = 0;
    this.wake();
    if (this.streams.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Queues `message` for one stream (a pong, a tool call, a delivery). */
  send(stream: BusStream, message: unknown, bytes: number): void {
    if (stream.closed) return;
    stream.queue.push({ message, bytes });
    this.queued?.(bytes);
    stream.queuedBytes += bytes;
    this.totalBytes += bytes;
    this.pump(stream);
  }

  /**
   * Delivers `event` (already enveloped) on `topic` to every matching subscription. Returns a
   * promise when the publisher must wait before it publishes again, else undefined.
   */
  publish(topic: string, event: unknown, bytes: number, delivered?: (stream: BusStream, pattern: string) => void): Promise<void> | undefined {
    this.stats.published++;
    const full: BusStream[] = [];
    // One message for the streams of one pattern: the server encodes it once for all of them (net/grpc-call.ts).
    let message: { delivery: { topic: string; event: unknown } } | undefined;
    const deliver = (stream: BusStream, pattern: string) => {
      this.stats.delivered++;
      if (message?.delivery.topic !== pattern) message = { delivery: { topic: pattern, event } };
      this.send(stream, message, bytes);
      delivered?.(stream, pattern);
      if (stream.full && !full.includes(stream)) full.push(stream);
    };
    // Streams of shared ids, grouped by id and pattern; allocated only when some id shares.
    const groups = this.shared.size ? new Map<string, { pattern: string; streams: BusStream[] }>() : undefined;
    for (const stream of this.streams)
      for (const pattern of stream.patterns)
        if (matches(pattern, topic)) {
          if (!groups || !this.shared.has(stream.agentId)) deliver(stream, pattern);
          else {
            const key = `${stream.agentId}\0${pattern}`;
            const group = groups.get(key);
            if (group) group.streams.push(stream);
            else groups.set(key, { pattern, streams: [stream] });
          }
        }
    if (groups) for (const [key, { pattern, streams }] of groups) deliver(this.turnOf(key, streams), pattern);
    return full.length || this.totalBytes >= TOTAL_QUEUE_BYTES ? this.waitForRoom(full) : undefined;
  }

  /** The stream whose turn it is among `streams`: the next one not full, else the next one. */
  private turnOf(key: string, streams: BusStream[]): BusStream {
    const start = this.turns.get(key) ?? 0;
    let pick = streams[start % streams.length]!;
    for (let i = 0; i < streams.length; i++) {
      const candidate = streams[(start + i) % streams.length]!;
      if (!candidate.full) {
        pick = candidate;
        break;
      }
    }
    if (this.turns.size > 10_000) this.turns.clear(); // ids and patterns are bounded by the registry; this bounds the map too
    this.turns.set(key, (streams.indexOf(pick) + 1) % streams.length);
    return pick;
  }

  /** Resolves once none of `streams` is full (a stream that closes counts as drained) and all queues together have room. */
  waitForRoom(streams: BusStream[] = []): Promise<void> {
    const started = this.now();
    this.stats.waits++;
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.totalBytes >= TOTAL_QUEUE_BYTES || streams.some((s) => s.full && !s.closed)) return;
        this.waiters.delete(check);
        this.stats.waitedMs += this.now() - started;
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }

  private pump(stream: BusStream): void {
    while (!stream.closed && stream.writable && stream.length > 0 && stream.inFlight < IN_FLIGHT_BYTES) {
      const item = stream.queue[stream.head++]!;
      stream.queue[stream.head - 1] = undefined as never;
      stream.queuedBytes -= item.bytes;
      this.totalBytes -= item.bytes;
      stream.inFlight += item.bytes;
      stream.lastProgress = this.now();
      stream.writable = stream.sink.write(item.message, () => {
        stream.inFlight -= item.bytes;
        if (stream.inFlight < IN_FLIGHT_BYTES / 2) this.pump(stream);
      });
    }
    if (stream.head > 1024 && stream.head * 2 > stream.queue.length) {
      stream.queue.splice(0, stream.head);
      stream.head = 0;
    }
    if (this.waiters.size) this.wake();
  }

  /** Streams full and idle past STALLED_STREAM_MS are cut off, so their publishers go on. */
  cutStalled(): void {
    const now = this.now();
    for (const stream of [...this.streams])
      if (stream.full && now - stream.lastProgress >= STALLED_STREAM_MS) {
        this.stats.stalled++;
        this.close(stream);
        stream.sink.fail("RESOURCE_EXHAUSTED", `agent ${stream.agentId} stopped reading its events: ${STALLED_STREAM_MS / 1000}s with a full queue`);
      }
  }
}
