/**
 * gRPC for loom's clients (`pub`, `sub`, `call` and the TypeScript SDK) on one node:http2 session,
 * the way `loom ping` speaks the Heartbeat (net/health.ts): length-prefixed protobuf frames,
 * grpc-status in the trailers. grpc-js's channel (resolver, load balancer, subchannel) cost `loom
 * pub --reply` about 20 ms of its 80 before its first byte, and was 40 ms of an agent's import
 * (docs/benchmarks.md "A new project's first answer"). A frame over MAX_FRAME_BYTES ends the call
 * (grpc-js's default limit for what it receives, kept).
 */
import type http2 from "node:http2";
import { FrameError, frame, frameReader, MAX_MESSAGE_BYTES } from "../net/grpc-frames";
import { bridgeSession, percentDecoded } from "../net/h2-session";
import type { WireMethod } from "../protocol/wire";
import type { BridgeTarget } from "./address";

export const MAX_FRAME_BYTES = MAX_MESSAGE_BYTES;

/** A call that ended without grpc-status 0, or a connection that failed, as a person reads it. */
export class CallError extends Error {
  constructor(
    message: string,
    /** The grpc-status, when the server gave one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Why a session failed, in the words `loom ping` uses. */
function connectionError(e: NodeJS.ErrnoException): CallError {
  if (e.code === "ECONNREFUSED") return new CallError("connection refused: nothing listens there");
  if (e.code === "ENOENT") return new CallError("no such socket");
  if (e.code === "EACCES" || e.code === "EPERM") return new CallError("permission denied: the socket belongs to another user");
  if (e.code === "ECONNRESET" || e.code === "ERR_HTTP2_SESSION_ERROR" || e.code === "ERR_HTTP2_STREAM_CANCEL")
    return new CallError("the connection was closed at once (an embedded Bridge closes connections of users other than its owner)");
  return new CallError(e.message);
}

/** What a call needs of a method's definition (protocol/wire.ts, or grpc-js's shape). */
export type Method<Res> = WireMethod<Res>;

/** One call on `session`: its messages decoded, and its end (resolves on grpc-status 0). */
export interface Call<Res> {
  /** False when the stream's buffer is full: wait for `drained()`. */
  write(message: object): boolean;
  /** Resolves when the stream takes writes again, or has closed. */
  drained(): Promise<void>;
  /** Half-closes: the server ends the call when it has handled everything written. */
  end(): void;
  /** Ends the call at once (the server sees it cancelled). */
  cancel(): void;
  onMessage(handler: (message: Res) => void): void;
  /** Resolves on grpc-status 0; rejects with a CallError otherwise. */
  readonly done: Promise<void>;
}

export class H2Client {
  private readonly session: http2.ClientHttp2Session;
  private failure?: CallError;

  constructor(target: BridgeTarget) {
    this.session = bridgeSession(target.address, target.tls);
    this.session.on("error", (e: NodeJS.ErrnoException) => {
      this.failure ??= connectionError(e);
    });
  }

  /** Whether the session has failed or closed (a new client is needed). */
  get broken(): boolean {
    return this.session.destroyed || this.session.closed;
  }

  /** Opens a call of `method`: write its requests, read its answers. */
  open<Res>(method: Method<Res>, timeoutMs?: number): Call<Res> {
    const stream = this.session.request({ ":method": "POST", ":path": method.path, "content-type": "application/grpc", te: "trailers" });
    const handlers: ((m: Res) => void)[] = [];
    let status: string | undefined;
    let detail = "";
    let failed: CallError | undefined;
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) detail = percentDecoded(String(h["grpc-message"]));
    };
    const read = frameReader((bytes) => {
      const message = method.responseDeserialize(bytes);
      for (const h of handlers) h(message);
    });
    stream.on("response", take); // a trailers-only answer puts grpc-status in the headers
    stream.on("trailers", take);
    stream.on("data", (chunk: Buffer) => {
      try {
        read(chunk);
      } catch (e) {
        failed = e instanceof CallError ? e : new CallError(`the server sent ${e instanceof FrameError ? e.message : `a message loom cannot read: ${(e as Error).message}`}`);
        stream.close();
      }
    });
    const done = new Promise<void>((resolve, reject) => {
      const expire = () => {
        failed ??= new CallError("no answer in time", 4);
        stream.close();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(expire, timeoutMs);
      stream.on("error", () => {}); // the session's error says why; 'close' settles
      stream.on("close", () => {
        clearTimeout(timer);
        if (failed) reject(failed);
        else if (status === "0") resolve();
        else if (status === undefined) reject(this.failure ?? new CallError("the connection closed before the call ended"));
        else reject(new CallError(`grpc-status ${status}${detail ? `: ${detail}` : ""}`, Number(status)));
      });
    });
    return {
      write: (message) => stream.write(frame(method.requestSerialize(message))),
      drained: () =>
        new Promise<void>((resolve) => {
          if (stream.closed) return resolve();
          stream.once("drain", () => resolve());
          stream.once("close", () => resolve());
        }),
      end: () => stream.end(),
      cancel: () => stream.close(),
      onMessage: (handler) => void handlers.push(handler),
      done,
    };
  }

  /** One request, one answer. */
  async unary<Res>(method: Method<Res>, message: object, timeoutMs: number): Promise<Res> {
    const call = this.open<Res>(method, timeoutMs);
    let answer: Res | undefined;
    call.onMessage((m) => {
      answer = m;
    });
    call.write(message);
    call.end();
    await call.done;
    if (answer === undefined) throw new CallError("the server answered without a message");
    return answer;
  }

  close(): void {
    this.session.close();
  }
}
