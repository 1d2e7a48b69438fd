/**
 * An agent's connection to the Bridge: RegisterAgent, then the EventStream with the Ack first
 * (docs/runtime-contract.md "Bridge protocol"), kept up across a Bridge restart. What the agent
 * sends while the Bridge is away waits in a queue bounded in bytes and goes out, in order, once
 * the agent is registered again and `resendDelayMs` have passed, so that the other agents of the
 * project, reconnecting at the same time, are subscribed again when it arrives (the Bridge keeps
 * nothing for topics nobody subscribes to). Upstream's Python SDK writes into the stream that
 * died, so its first event after a restart is lost. gRPC on one HTTP/2 session (client/h2-grpc.ts),
 * a new one when it fails: grpc-js was 40 of the SDK's 48 ms of import (docs/benchmarks.md).
 */
import { H2Client, type Call } from "../client/h2-grpc";
import type { BridgeTarget } from "../client/address";
import { openAgentStream, RefusedError } from "../client/agent";
import type { AgentRegisterRequestInit, ClientEventInit, ServerEvent } from "../protocol/loom.generated";
import { wireMethod } from "../protocol/wire";

export const RESEND_DELAY_MS = 500;
export const QUEUE_LIMIT_BYTES = 64 * 1024 * 1024;
const BACKOFF_MS = [100, 200, 500, 1_000, 2_000, 5_000];
const HEARTBEAT_EVERY_MS = 15_000;

/** What the stream carries (loom.proto's ServerEvent and ClientEvent). */
export type ServerMessage = ServerEvent;
export type ClientMessage = ClientEventInit;
export type Registration = AgentRegisterRequestInit;

type Reply = Record<string, unknown>;

/** host:port, `unix:/path`, or http(s)://host:port (TLS for https, trusting the system's roots). */
export function channel(address: string): BridgeTarget {
  const tls = address.startsWith("https://");
  return { address: address.replace(/^https?:\/\//, ""), shown: address, ...(tls ? { tls: {} } : {}) };
}

/** The size of a message near enough to bound the queue by. */
function sizeOf(message: ClientMessage): number {
  const event = message.publish?.event;
  return 256 + (event?.payload?.length ?? 0) + JSON.stringify(event?.metadata ?? {}).length + (message.tool_result?.output?.length ?? 0);
}

export class Connection {
  private readonly target: BridgeTarget;
  /** The session of the current connection; replaced when it fails. */
  private client?: H2Client;
  private stream?: Call<ServerMessage>;
  /** Writes go straight to the stream; otherwise they wait in `queue`. */
  private open = false;
  private stopped = false;
  private reconnecting = false;
  private readonly queue: { message: ClientMessage; bytes: number }[] = [];
  private queuedBytes = 0;
  private heartbeat?: ReturnType<typeof setInterval>;
  private draining?: Promise<void>;

  constructor(
    readonly address: string,
    private readonly registration: Registration,
    private readonly onMessage: (m: ServerMessage) => void,
    private readonly log: (line: string) => void,
    private readonly resendDelayMs = RESEND_DELAY_MS,
  ) {
    this.target = channel(address);
  }

  /** Whether the stream is up and nothing waits to be resent. */
  get connected(): boolean {
    return this.open;
  }

  /** Registers and opens the stream; rejects when the Bridge cannot be reached or refuses the agent. */
  async start(): Promise<void> {
    await this.connect(10_000);
    this.open = true;
    this.heartbeat = setInterval(() => void this.checkAlive(), HEARTBEAT_EVERY_MS);
  }

  /** Sends `message` on the stream, or queues it while the Bridge is away; waits while the stream is full. */
  async send(message: ClientMessage): Promise<void> {
    if (this.stopped) throw new Error("the agent is stopped");
    if (this.open && this.stream && this.queue.length === 0) {
      if (!this.stream.write(message)) await this.drained(this.stream);
      return;
    }
    const bytes = sizeOf(message);
    if (this.queuedBytes + bytes > QUEUE_LIMIT_BYTES)
      throw new Error(`the Bridge at ${this.address} has been unreachable for a while: ${this.queue.length} messages (${this.queuedBytes} bytes) wait already`);
    this.queue.push({ message, bytes });
    this.queuedBytes += bytes;
  }

  /** Resolves when `stream` takes writes again; one wait however many senders wait. */
  private drained(stream: Call<ServerMessage>): Promise<void> {
    this.draining ??= stream.drained().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** A unary call, by name, of the Bridge (`ForwardToolCall`, `Heartbeat`) or of MemoryService (ctx.memory's methods). */
  call(method: string, request: object, timeoutMs: number, service: "bridge" | "memory" = "bridge"): Promise<Reply> {
    const definition = wireMethod<Reply>(service === "bridge" ? "Bridge" : "MemoryService", method);
    if (!definition) return Promise.reject(new Error(`${service === "bridge" ? "loom.v1.Bridge" : "loom.v1.MemoryService"} has no method ${method}`));
    if (!this.client) return Promise.reject(new Error(`not connected to the Bridge at ${this.address}`));
    return this.client.unary(definition, request, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.open = false;
    clearInterval(this.heartbeat);
    const stream = this.stream;
    if (stream) {
      stream.end();
      await Promise.race([stream.done.catch(() => {}), Bun.sleep(2_000)]);
    }
    this.client?.close();
  }

  private async connect(timeoutMs: number): Promise<void> {
    // A session that failed is not reused; a live one keeps the calls in flight on it.
    if (!this.client || this.client.broken) {
      this.client?.close();
      this.client = new H2Client(this.target);
    }
    const stream = await openAgentStream(this.client, this.registration, timeoutMs).catch((e: Error) => {
      throw e instanceof RefusedError ? new Error(`the Bridge at ${this.address} refused agent ${this.registration.agent_id}: ${e.message}`) : e;
    });
    this.stream = stream;
    stream.onMessage((m) => this.onMessage(m));
    const lost = (why: string) => {
      if (this.stream !== stream) return;
      this.open = false;
      this.stream = undefined;
      if (!this.stopped) void this.reconnect(why);
    };
    stream.done.then(
      () => lost("the stream ended"),
      (e: Error) => lost(e.message),
    );
  }

  /**
   * Registers again and opens a new stream (with backoff), waits `resendDelayMs`, then sends what
   * was queued; a stream that dies meanwhile starts it over, so the agent never stays away.
   */
  private async reconnect(why: string): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.log(`lost the Bridge at ${this.address} (${why}); reconnecting`);
    while (!this.stopped) {
      for (let attempt = 0; !this.stopped; attempt++) {
        await Bun.sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
        try {
          await this.connect(5_000);
          break;
        } catch (e) {
          if (attempt === 3) this.log(`still cannot reach the Bridge at ${this.address}: ${(e as Error).message}`);
        }
      }
      if (this.stopped) break;
      this.log(`reconnected to the Bridge at ${this.address}`);
      await Bun.sleep(this.resendDelayMs);
      while (this.queue.length && this.stream) {
        const { message, bytes } = this.queue.shift()!;
        this.queuedBytes -= bytes;
        if (!this.stream.write(message)) await this.drained(this.stream);
      }
      if (this.stream) {
        this.open = true;
        break;
      }
    }
    this.reconnecting = false;
  }

  /** A Heartbeat that fails while the stream looks open: the connection is dead, start again. */
  private async checkAlive(): Promise<void> {
    if (!this.open || this.stopped) return;
    try {
      await this.call("Heartbeat", { timestamp_ms: Date.now() }, 5_000);
    } catch (e) {
      // Its session too: a connection that stalls answers nothing, whatever is sent on it.
      this.stream?.cancel();
      this.client?.close();
      this.open = false;
      void this.reconnect(`Heartbeat failed: ${(e as Error).message}`);
    }
  }
}
