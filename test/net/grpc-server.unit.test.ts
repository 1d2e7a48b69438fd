/**
 * The embedded Bridge's gRPC server (net/grpc-server.ts) against what a client may send: each bad
 * request gets grpc-js's status and text, as the Bridge answered before it left grpc-js, and a
 * fan-out encodes a message once.
 */
import { afterEach, expect, test } from "bun:test";
import http2 from "node:http2";
import net from "node:net";
import zlib from "node:zlib";
import { GrpcServer, type RpcService, type ServerCall, Status } from "../../src/net/grpc-server";

/** A JSON echo service: Echo (unary), Watch (server-streaming), Chat (bidirectional). */
let serialized = 0;
const json = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  responseSerialize: (v: never) => {
    serialized++;
    return Buffer.from(JSON.stringify(v));
  },
});
const SERVICE: RpcService = {
  Echo: json("/t.T/Echo", false, false),
  Watch: json("/t.T/Watch", false, true),
  Chat: json("/t.T/Chat", true, true),
  Hang: json("/t.T/Hang", false, false),
  Slow: json("/t.T/Slow", false, false),
  Throw: json("/t.T/Throw", false, false),
};

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

const seen: { chats: ServerCall<unknown>[]; hung: ServerCall<unknown>[] } = { chats: [], hung: [] };

/** The server of the last serve(), and what it may hold of unfinished messages. */
let server: GrpcServer;
const PARTIAL_BYTES = 5_000_000;

async function serve(): Promise<http2.ClientHttp2Session> {
  server = new GrpcServer(PARTIAL_BYTES);
  server.addService(SERVICE, {
    Echo: (call: ServerCall<unknown>, reply: (e: null, v: unknown) => void) => reply(null, call.request),
    Watch: (call: ServerCall<unknown>) => {
      call.write({ first: call.request });
      call.end();
    },
    Chat: (call: ServerCall<{ fail?: string }>) => {
      seen.chats.push(call as ServerCall<unknown>);
      call.on("data", (m: { fail?: string; throw?: boolean }) => {
        if (m.throw) throw new Error("a bug on a message");
        if (m.fail) call.fail(Status.INVALID_ARGUMENT, m.fail);
        else call.write(m);
      });
      call.on("end", () => call.end());
    },
    Hang: (call: ServerCall<unknown>) => void seen.hung.push(call),
    Slow: (call: ServerCall<unknown>, reply: (e: null, v: unknown) => void) => void setTimeout(() => reply(null, call.request), 5),
    Throw: () => {
      throw new Error("a bug in a handler");
    },
  });
  const listener = net.createServer((socket) => server.injectConnection(socket));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const session = http2.connect(`http://127.0.0.1:${(listener.address() as net.AddressInfo).port}`);
  session.on("error", () => {});
  cleanup.push(() => {
    session.destroy();
    server.close();
    listener.close();
  });
  return session;
}

const frameOf = (value: unknown, flag = 0, body = Buffer.from(JSON.stringify(value))) => {
  const out = Buffer.alloc(5 + body.length);
  out[0] = flag;
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
};

interface Answer {
  headers: http2.IncomingHttpHeaders;
  status?: string;
  message?: string;
  body: Buffer;
}

/** One request of raw frames; resolves with what came back once the stream closed. */
function call(session: http2.ClientHttp2Session, path: string, frames: Buffer[], headers: http2.OutgoingHttpHeaders = {}, end = true): Promise<Answer> {
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
  for (const f of frames) stream.write(f);
  if (end) stream.end();
  return new Promise((resolve) => {
    const answer: Answer = { headers: {}, body: Buffer.alloc(0) };
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) answer.status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) answer.message = decodeURIComponent(String(h["grpc-message"]));
    };
    stream.on("response", (h) => {
      answer.headers = h;
      take(h);
    });
    stream.on("trailers", take);
    stream.on("data", (d: Buffer) => (answer.body = Buffer.concat([answer.body, d])));
    stream.on("error", () => {});
    stream.on("close", () => resolve(answer));
  });
}

test("a unary call is answered, framed, with grpc-status 0 in the trailers", async () => {
  const session = await serve();
  const a = await call(session, "/t.T/Echo", [frameOf({ hi: 1 })]);
  expect(Number(a.headers[":status"])).toBe(200);
  expect(a.headers["content-type"]).toBe("application/grpc+proto");
  expect(a.status).toBe("0");
  expect(JSON.parse(a.body.subarray(5).toString())).toEqual({ hi: 1 });
});

test("an unknown method, a request that is not gRPC, no message or two, a handler that throws: each refused as grpc-js refuses it", async () => {
  const session = await serve();
  const unknown = await call(session, "/t.T/Nope", [frameOf({})]);
  expect([unknown.status, unknown.message]).toEqual([String(Status.UNIMPLEMENTED), "The server does not implement the method /t.T/Nope"]);
  expect(Number((await call(session, "/t.T/Echo", [frameOf({})], { "content-type": "text/plain" })).headers[":status"])).toBe(415);
  const none = await call(session, "/t.T/Echo", []);
  expect([none.status, none.message]).toEqual([String(Status.UNIMPLEMENTED), "Received no request message for server streaming method /t.T/Echo"]);
  const two = await call(session, "/t.T/Echo", [frameOf({}), frameOf({})]);
  expect([two.status, two.message]).toEqual([String(Status.UNIMPLEMENTED), "Received a second request message for server streaming method /t.T/Echo"]);
  const thrown = await call(session, "/t.T/Throw", [frameOf({})]); // its stack goes to stderr, the Bridge's log
  expect([thrown.status, thrown.message]).toEqual([String(Status.UNKNOWN), "Unknown error"]);
  expect((await call(session, "/t.T/Echo", [frameOf({ after: 1 })])).status).toBe("0"); // and the server goes on
});

test("a message over 4 MB is refused at its header; one that does not decode is INTERNAL", async () => {
  const session = await serve();
  const header = Buffer.alloc(5);
  header.writeUInt32BE(4 * 1024 * 1024 + 1, 1);
  const big = await call(session, "/t.T/Echo", [header], {}, false); // the body never comes: the header is enough
  expect([big.status, big.message]).toEqual([String(Status.RESOURCE_EXHAUSTED), "Received message larger than max (4194305 vs. 4194304)"]);
  const garbage = await call(session, "/t.T/Echo", [frameOf(null, 0, Buffer.from("{not json"))]);
  expect([garbage.status, garbage.message]).toEqual([String(Status.INTERNAL), "Error deserializing request"]);
});

test("gzip and deflate messages are inflated within the limit; a bomb and an unknown encoding are refused", async () => {
  const session = await serve();
  const body = Buffer.from(JSON.stringify({ z: "gz" }));
  const gz = await call(session, "/t.T/Echo", [frameOf(null, 1, zlib.gzipSync(body))], { "grpc-encoding": "gzip" });
  expect([gz.status, JSON.parse(gz.body.subarray(5).toString())]).toEqual(["0", { z: "gz" }]);
  const df = await call(session, "/t.T/Echo", [frameOf(null, 1, zlib.deflateSync(body))], { "grpc-encoding": "deflate" });
  expect(df.status).toBe("0");
  const bomb = await call(session, "/t.T/Echo", [frameOf(null, 1, zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)))], { "grpc-encoding": "gzip" });
  expect([bomb.status, bomb.message]).toEqual([String(Status.RESOURCE_EXHAUSTED), "Received message that decompresses to a size larger than 4194304"]);
  const br = await call(session, "/t.T/Echo", [frameOf(null, 1, body)], { "grpc-encoding": "br" });
  expect([br.status, br.message]).toEqual([String(Status.UNIMPLEMENTED), 'Received message compressed with unsupported encoding "br"']);
});

test("a deadline that passes ends the call (DEADLINE_EXCEEDED) and tells its handler; a malformed one is INTERNAL; one past what a timer holds is none", async () => {
  const session = await serve();
  seen.hung.length = 0;
  const late = await call(session, "/t.T/Hang", [frameOf({})], { "grpc-timeout": "20m" });
  expect([late.status, late.message]).toEqual([String(Status.DEADLINE_EXCEEDED), "Deadline exceeded"]);
  expect(seen.hung[0]?.cancelled).toBe(true);
  const bad = await call(session, "/t.T/Echo", [frameOf({})], { "grpc-timeout": "soon" });
  expect([bad.status, bad.message]).toEqual([String(Status.INTERNAL), 'Invalid grpc-timeout value "soon"']);
  // 99999999 hours is past what a timer holds: no deadline, not an immediate one.
  const far = await call(session, "/t.T/Slow", [frameOf({ far: true })], { "grpc-timeout": "99999999H" });
  expect(far.status).toBe("0");
});

test("a stream: messages back in order, a failure ends it with its status, a client that leaves closes it", async () => {
  const session = await serve();
  const watched = await call(session, "/t.T/Watch", [frameOf("x")]);
  expect([watched.status, JSON.parse(watched.body.subarray(5).toString())]).toEqual(["0", { first: "x" }]);
  const chat = await call(session, "/t.T/Chat", [frameOf({ n: 1 }), frameOf({ n: 2 }), frameOf({ fail: "no more" })]);
  expect([chat.status, chat.message]).toEqual([String(Status.INVALID_ARGUMENT), "no more"]);
  expect(chat.body.length).toBe(2 * frameOf({ n: 1 }).length);
  const buggy = await call(session, "/t.T/Chat", [frameOf({ n: 1 }), frameOf({ throw: true })]);
  expect([buggy.status, buggy.message]).toEqual([String(Status.UNKNOWN), "Unknown error"]);
  seen.chats.length = 0;
  const stream = session.request({ ":method": "POST", ":path": "/t.T/Chat", "content-type": "application/grpc" });
  stream.write(frameOf({ n: 3 }));
  await new Promise((resolve) => stream.once("data", resolve));
  const server = seen.chats[0]!;
  // Bun's http2 reads a client's reset as a half-close followed by the stream's end: the handler
  // ends the call on 'end', so it closes without counting as cancelled. What matters is that it closes.
  const closed = new Promise<boolean>((resolve) => server.once("close", () => resolve(true)));
  stream.close(http2.constants.NGHTTP2_CANCEL);
  expect(await closed).toBe(true);
});

test("one message written to many calls at once is encoded once", async () => {
  const session = await serve();
  seen.chats.length = 0;
  const streams = Array.from({ length: 20 }, () => session.request({ ":method": "POST", ":path": "/t.T/Chat", "content-type": "application/grpc" }));
  for (const s of streams) s.write(frameOf({ hello: true }));
  await Promise.all(streams.map((s) => new Promise((resolve) => s.once("data", resolve))));
  serialized = 0;
  const message = { to: "all" };
  for (const c of seen.chats) c.write(message);
  expect(serialized).toBe(1);
  const got = await Promise.all(streams.map((s) => new Promise<Buffer>((resolve) => s.once("data", resolve))));
  for (const b of got) expect(JSON.parse(b.subarray(5).toString())).toEqual(message);
  for (const s of streams) s.close();
});

/** A deadline-bounded look, 5 ms apart. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !ok(); await Bun.sleep(5)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

test("messages left unfinished on many streams are bounded together: the stream that goes over fails, the others go on", async () => {
  const session = await serve();
  const big = frameOf("x".repeat(3_000_000)); // 3 MB, under the 4 MB limit of one message
  const open = () => session.request({ ":method": "POST", ":path": "/t.T/Chat", "content-type": "application/grpc" });
  const a = open();
  a.write(big.subarray(0, 2_900_000));
  await until("the first stream's part held", () => server.partialBytes >= 2_900_000);
  const over = await call(session, "/t.T/Chat", [big.subarray(0, 2_900_000)], {}, false); // 5.8 MB would be held together
  expect(over.status).toBe(String(Status.RESOURCE_EXHAUSTED)); // at the chunk that went over
  expect(over.message).toMatch(/^the server holds \d+ bytes of messages not yet whole, over its 5000000-byte limit$/);
  expect(server.partialBytes).toBe(2_900_000); // what the failed stream held is let go
  const echoed = new Promise<number>((resolve) => {
    let got = 0;
    a.on("data", (d: Buffer) => {
      got += d.length;
      if (got >= big.length) resolve(got);
    });
  });
  a.end(big.subarray(2_900_000)); // the first finishes its message, and has it back
  expect(await echoed).toBe(big.length);
  expect(server.partialBytes).toBe(0);
  a.close();
});
