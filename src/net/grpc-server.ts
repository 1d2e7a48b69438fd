/**
 * The embedded Bridge's gRPC server, on node:http2 alone. It served with grpc-js before: with 101
 * agents connected, grpc-js's calls, channelz, interceptors and the module itself held 21 MB of
 * the Bridge's 92 MB RSS and 14 MB of private memory, over the same echo on node:http2
 * (docs/benchmarks.md, "Issue 30's other figures"). What a client sees is grpc-js's: the same
 * headers, statuses and texts (grpc-call.ts), unary, server-streaming and bidirectional methods,
 * grpc-timeout, gzip and deflate messages inflated within the 4 MB limit. Connections are handed
 * to it by whoever accepted them (bridge/listen.ts decides who gets in).
 */
import http2 from "node:http2";
import type net from "node:net";
import { type PartialBudget, type RpcMethod, ServerCall, Status, type StatusError } from "./grpc-call";

export { ServerCall, Status, type RpcMethod, type StatusError } from "./grpc-call";

/** A unary method's handler: the call (its `request`) and the answer, a value or a status. */
export type UnaryHandler<Req = never, Res = unknown> = (call: ServerCall<Req>, reply: (error: StatusError | null, value?: Res) => void) => void;
/** A streaming method's handler: the call, whose messages it reads ('data') or writes. */
export type StreamHandler<Req = never> = (call: ServerCall<Req>) => void;
export type RpcService = Record<string, RpcMethod>;
export type RpcHandlers = Record<string, UnaryHandler | StreamHandler>;

interface Route {
  method: RpcMethod;
  handler: UnaryHandler<unknown> | StreamHandler<unknown>;
}

export class GrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly partial: PartialBudget;
  // As grpc-js: no limit on a session's memory or headers of nghttp2's own; the Bridge bounds what callers grow (bridge/limits.ts).
  private readonly h2 = http2.createServer({ maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER, maxSessionMemory: Number.MAX_SAFE_INTEGER });

  /**
   * `maxPartialBytes`: messages received but not yet whole, over every call. Each call may hold
   * up to one 4 MB message in parts; a caller that opens streams and leaves a message unfinished
   * on each must not grow the server with them: the call that goes over fails (RESOURCE_EXHAUSTED).
   */
  constructor(maxPartialBytes: number) {
    this.partial = { bytes: 0, max: maxPartialBytes };
    this.h2.on("session", (session) => {
      this.sessions.add(session);
      session.on("error", () => {}); // its streams close, and their calls say so
      session.once("close", () => this.sessions.delete(session));
    });
    this.h2.on("stream", (stream, headers) => this.dispatch(stream as http2.ServerHttp2Stream, headers));
  }

  /** Serves `service`'s methods that `handlers` has (as grpc-js's Server.addService). */
  addService(service: RpcService, handlers: RpcHandlers): void {
    for (const [name, method] of Object.entries(service)) {
      const handler = handlers[name];
      if (handler) this.routes.set(method.path, { method, handler: handler as Route["handler"] });
    }
  }

  /** Bytes of messages received and not yet whole, over every call. */
  get partialBytes(): number {
    return this.partial.bytes;
  }

  /** Serves a connection accepted elsewhere. */
  injectConnection(socket: net.Socket): void {
    this.h2.emit("connection", socket);
  }

  /** Ends every connection at once (the Bridge is stopping). */
  close(): void {
    for (const session of this.sessions) session.destroy();
    this.h2.close();
  }

  private dispatch(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", () => {});
    const type = headers["content-type"];
    if (typeof type !== "string" || !type.startsWith("application/grpc")) return void stream.respond({ ":status": 415 }, { endStream: true });
    const path = String(headers[":path"] ?? "");
    const route = this.routes.get(path);
    if (!route) {
      const details = encodeURI(`The server does not implement the method ${path}`);
      return void stream.respond(
        { ":status": 200, "content-type": "application/grpc+proto", "grpc-status": String(Status.UNIMPLEMENTED), "grpc-message": details },
        { endStream: true },
      );
    }
    const call = new ServerCall<unknown>(stream, headers, route.method, this.partial);
    // A handler that throws fails its call, as grpc-js's did, and the Bridge goes on; its log has the stack.
    const run = (start: () => void) => {
      try {
        start();
      } catch (error) {
        console.error(`gRPC ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        call.fail(Status.UNKNOWN, "Unknown error");
      }
    };
    if (route.method.requestStream) {
      run(() => (route.handler as StreamHandler<unknown>)(call));
      call.read(
        (message) => call.emit("data", message),
        () => call.emit("end"),
      );
      return;
    }
    // One request: the handler runs once the client has half-closed after it (grpc-js's texts, "server streaming" for unary too).
    let request: unknown;
    let got = false;
    call.read(
      (message) => {
        if (got) return call.fail(Status.UNIMPLEMENTED, `Received a second request message for server streaming method ${path}`);
        got = true;
        request = message;
      },
      () => {
        if (!got) return call.fail(Status.UNIMPLEMENTED, `Received no request message for server streaming method ${path}`);
        call.request = request;
        if (route.method.responseStream) return run(() => (route.handler as StreamHandler<unknown>)(call));
        run(() =>
          (route.handler as UnaryHandler<unknown>)(call, (error, value) => {
            if (error) return call.fail(typeof error.code === "number" ? error.code : Status.UNKNOWN, error.details ?? "");
            call.write(value);
            call.end();
          }),
        );
      },
    );
  }
}
