/**
 * Server-sent event streams whose clients cannot grow the server's memory: each client has its
 * own queue, handed to the response only when the response asks for more (a pull stream), and a
 * client whose queue passes SSE_CLIENT_BYTES (it stopped reading) is cut off. At most
 * SSE_MAX_CLIENTS are open; a named `ping` keeps each alive every 10 s, as upstream's.
 */
import { SSE_CLIENT_BYTES, SSE_MAX_CLIENTS } from "../limits";

const PING_MS = 10_000;
const encoder = new TextEncoder();

class Client {
  private queue: Uint8Array[] = [];
  private bytes = 0;
  private wake?: () => void;
  closed = false;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(private readonly onClose: (c: Client) => void) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.queue.length === 0 && !this.closed) await new Promise<void>((r) => (this.wake = r));
          if (this.closed && this.queue.length === 0) return controller.close();
          const chunk = this.queue.shift()!;
          this.bytes -= chunk.length;
          controller.enqueue(chunk);
        },
        cancel: () => this.close(),
      },
      { highWaterMark: 0 },
    );
  }

  /** Queues `chunk`; false when the client is too far behind and was cut off. */
  push(chunk: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.bytes + chunk.length > SSE_CLIENT_BYTES) {
      this.close();
      return false;
    }
    this.queue.push(chunk);
    this.bytes += chunk.length;
    this.wake?.();
    this.wake = undefined;
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.bytes = 0;
    this.wake?.();
    this.onClose(this);
  }
}

export class SseHub {
  private readonly clients = new Set<Client>();
  /** Clients cut off for not reading. */
  cut = 0;
  private pinger?: ReturnType<typeof setInterval>;

  get size(): number {
    return this.clients.size;
  }

  /** A new client's response, or undefined when SSE_MAX_CLIENTS are open. */
  open(first?: string): Response | undefined {
    if (this.clients.size >= SSE_MAX_CLIENTS) return undefined;
    const client = new Client((c) => {
      this.clients.delete(c);
      if (this.clients.size === 0 && this.pinger) {
        clearInterval(this.pinger);
        this.pinger = undefined;
      }
    });
    this.clients.add(client);
    // Something at once, so the response's headers go out now: a client that waits for them
    // (fetch, EventSource's open) would otherwise wait for the first event. A comment line
    // is ignored by every SSE reader.
    client.push(encoder.encode(first ?? ": connected\n\n"));
    this.pinger ??= setInterval(() => this.send("event: ping\ndata: {}\n\n"), PING_MS);
    this.pinger.unref?.();
    return new Response(client.stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" } });
  }

  /** Sends one SSE message (already framed) to every client. */
  send(text: string): void {
    if (this.clients.size === 0) return;
    const chunk = encoder.encode(text);
    for (const c of [...this.clients]) if (!c.push(chunk)) this.cut++;
  }

  /** `data: <json>` framing. */
  sendData(value: unknown): void {
    if (this.clients.size) this.send(`data: ${JSON.stringify(value)}\n\n`);
  }

  close(): void {
    for (const c of [...this.clients]) c.close();
  }
}
