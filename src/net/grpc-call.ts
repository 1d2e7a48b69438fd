/**
 * One call a gRPC client made to grpc-server.ts, as its handler sees it: the request (unary and
 * server-streaming methods), the messages it streams ('data', then 'end' when it half-closes),
 * what the handler writes back, and how the call ends (`end()`: OK, `fail()`: a status). It emits
 * 'status' when its handler ended it, 'cancelled' when it ended without (the client left, or the
 * deadline passed), and 'close' in every case once the client has had its end. Statuses and
 * their texts are grpc-js's (1.14), which the embedded Bridge served with before, so that a
 * client cannot tell the two apart (docs/embedded-bridge.md).
 */
import { EventEmitter } from "node:events";
import type http2 from "node:http2";
import { FrameError, frame, frameReader, MAX_MESSAGE_BYTES } from "./grpc-frames";

/** The gRPC status codes loom answers with. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

/** Bytes of messages received but not yet whole, over every call of a server, and its bound. */
export interface PartialBudget {
  bytes: number;
  readonly max: number;
}

export interface StatusError {
  code: number;
  details: string;
}

/** A method as a service definition has it (protocol/messages.ts makes them; grpc-js's have this shape too). */
export interface RpcMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Uint8Array;
}

const HEADERS = { ":status": 200, "content-type": "application/grpc+proto", "grpc-accept-encoding": "identity,deflate,gzip", "grpc-encoding": "identity" };
/** grpc-timeout: up to 8 digits and a unit (the gRPC HTTP/2 protocol). */
const TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The message in `bytes`, inflated when the client compressed it (bounded as what it may send). */
function inflated(bytes: Buffer, compressed: boolean, encoding: string): Buffer {
  if (!compressed) return bytes;
  if (encoding !== "gzip" && encoding !== "deflate") throw { code: Status.UNIMPLEMENTED, details: `Received message compressed with unsupported encoding "${encoding}"` };
  // Loaded on the first compressed message only: no client of loom's compresses.
  const zlib = process.getBuiltinModule("node:zlib");
  try {
    return (encoding === "gzip" ? zlib.gunzipSync : zlib.inflateSync)(bytes, { maxOutputLength: MAX_MESSAGE_BYTES });
  } catch (e) {
    const tooLarge = (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
    throw tooLarge
      ? { code: Status.RESOURCE_EXHAUSTED, details: `Received message that decompresses to a size larger than ${MAX_MESSAGE_BYTES}` }
      : { code: Status.INTERNAL, details: "Failed to decompress message" };
  }
}

/**
 * The last message framed, while the code that wrote it runs: a publish fanned out to a hundred
 * streams writes one message object to each, encoded once (the encoding and its garbage per
 * delivery were most of a fan-out's cost). Dropped at the next microtask, so it holds nothing.
 */
let last: { message: unknown; method: RpcMethod; framed: Buffer } | undefined;

function framed(method: RpcMethod, message: unknown): Buffer {
  const held = last;
  if (held && held.message === message && held.method === method && typeof message === "object") return held.framed;
  if (!held) queueMicrotask(() => (last = undefined));
  const bytes = frame(method.responseSerialize(message as never));
  last = { message, method, framed: bytes };
  return bytes;
}

export class ServerCall<Req = unknown> extends EventEmitter {
  /** The request of a unary or server-streaming call (set before its handler runs). */
  request!: Req;
  /** Ended without a status sent by the handler: the client left, or the deadline passed. */
  cancelled = false;
  private readonly encoding: string;
  /** This call's part of `budget.bytes`. */
  private holding = 0;
  private headersSent = false;
  private ended = false;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    readonly method: RpcMethod,
    private readonly budget: PartialBudget = { bytes: 0, max: Number.POSITIVE_INFINITY },
  ) {
    super();
    this.encoding = String(headers["grpc-encoding"] ?? "identity");
    const timeout = headers["grpc-timeout"];
    if (typeof timeout === "string") {
      const m = TIMEOUT.exec(timeout);
      if (!m) queueMicrotask(() => this.fail(Status.INTERNAL, `Invalid grpc-timeout value "${timeout}"`));
      else {
        // A timer holds at most 2^31-1 ms and fires at once beyond it (as grpc-js's did): a deadline past 24 days is none.
        const ms = Math.trunc(Number(m[1]) * UNIT_MS[m[2]!]!);
        if (ms <= MAX_TIMER_MS) this.timer = setTimeout(() => this.expire(), ms);
      }
    }
    // Bun's http2 emits 'end' before 'aborted' when the client resets a stream: its reset cancels even a call whose handler then ended it.
    stream.on("aborted", () => this.cancel());
    stream.on("close", () => {
      clearTimeout(this.timer);
      this.release();
      if (!this.ended || stream.rstCode) this.cancel();
      this.emit("close");
    });
    stream.on("error", () => {}); // 'close' follows and says it
    stream.on("drain", () => this.emit("drain"));
  }

  /** Reads the client's messages into `onMessage`, its half-close into `onEnd`; a bad frame ends the call. */
  read(onMessage: (message: Req) => void, onEnd: () => void): void {
    const message = (compressed: boolean) => (bytes: Buffer) => {
      if (this.ended) return; // released already
      this.hold(-(5 + bytes.length));
      let plain: Buffer;
      try {
        plain = inflated(bytes, compressed, this.encoding);
      } catch (e) {
        const s = e as StatusError;
        return this.fail(s.code, s.details);
      }
      let request: Req;
      try {
        request = this.method.requestDeserialize(plain) as Req;
      } catch {
        return this.fail(Status.INTERNAL, "Error deserializing request");
      }
      onMessage(request);
    };
    const take = frameReader(message(false), MAX_MESSAGE_BYTES, message(true));
    this.stream.on("data", (chunk: Buffer) => {
      if (this.ended) return;
      this.hold(chunk.length);
      try {
        take(chunk);
        if (!this.ended && this.budget.bytes > this.budget.max)
          this.fail(Status.RESOURCE_EXHAUSTED, `the server holds ${this.budget.bytes} bytes of messages not yet whole, over its ${this.budget.max}-byte limit`);
      } catch (e) {
        if (e instanceof FrameError) return this.fail(Status.RESOURCE_EXHAUSTED, `Received message larger than max (${e.length} vs. ${MAX_MESSAGE_BYTES})`);
        // The handler's own code threw on a message: its call fails, the server goes on, the log has the stack.
        console.error(`gRPC ${this.method.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        this.fail(Status.UNKNOWN, "Unknown error");
      }
    });
    this.stream.on("end", () => {
      if (!this.ended) onEnd();
    });
  }

  /** Sends a message; false when the stream's buffer is full ('drain' follows). */
  write(message: unknown, done?: (error?: Error | null) => void): boolean {
    if (this.ended) return false;
    let bytes: Buffer;
    try {
      bytes = framed(this.method, message);
    } catch {
      this.fail(Status.INTERNAL, "Error serializing response");
      return false;
    }
    this.sendHeaders();
    return this.stream.write(bytes, done);
  }

  /** Ends the call with OK. */
  end(): void {
    this.finish(Status.OK, "");
  }

  /** Ends the call with `code` and `details`. */
  fail(code: number, details: string): void {
    this.finish(code, details);
  }

  /** Stops reading the client's messages (HTTP/2 flow control then stops its writes), and goes on. */
  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(HEADERS, { waitForTrailers: true });
  }

  private finish(code: number, details: string): void {
    if (this.ended || this.stream.closed || this.stream.destroyed) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.release(); // what it held is dropped: nothing more of it is read
    this.emit("status", code);
    const status = { "grpc-status": String(code), "grpc-message": encodeURI(details) };
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond({ ...HEADERS, ...status }, { endStream: true }); // trailers-only
      this.stopReading();
      return;
    }
    this.stream.once("wantTrailers", () => {
      this.stream.sendTrailers(status);
      this.stopReading();
    });
    this.stream.end();
  }

  /**
   * The status is sent while the client may still be sending (a message over the limit, a stream
   * the Bridge refused): RST_STREAM with NO_ERROR tells it to stop, as HTTP/2 allows a server
   * that has answered, and frees the stream (Bun's http2 does not on its own).
   */
  private stopReading(): void {
    if (!this.stream.readableEnded) this.stream.close(0);
  }

  private hold(bytes: number): void {
    this.holding += bytes;
    this.budget.bytes += bytes;
  }

  private release(): void {
    this.budget.bytes -= this.holding;
    this.holding = 0;
  }

  private expire(): void {
    this.finish(Status.DEADLINE_EXCEEDED, "Deadline exceeded");
    this.cancel();
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit("cancelled");
  }
}
