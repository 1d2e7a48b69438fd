/** The clients' gRPC on node:http2 (pub, sub, call) against servers that split, lie and stall. */
import { afterEach, expect, test } from "bun:test";
import http2 from "node:http2";
import { CallError, H2Client, MAX_FRAME_BYTES } from "../../src/client/h2-grpc";
import { messageType } from "../../src/protocol/messages";
import { wireMethod } from "../../src/protocol/wire";

const servers: http2.Http2Server[] = [];
const clients: H2Client[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.close();
});

/** A server on loopback port 0 whose every stream `answer` handles once the request ended. */
async function serve(answer: (stream: http2.ServerHttp2Stream) => void): Promise<H2Client> {
  const server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.on("data", () => {});
    stream.on("end", () => answer(stream));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = new H2Client({ address: `127.0.0.1:${(server.address() as { port: number }).port}`, shown: "test" });
  clients.push(client);
  return client;
}

function grpcFrame(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + bytes.length);
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}

const register = (c: H2Client, timeoutMs = 2_000) => c.unary(wireMethod<{ success: boolean; error_message: string }>("Bridge", "RegisterAgent")!, { agent_id: "a" }, timeoutMs);

test("an answer written one byte at a time is one message", async () => {
  const type = messageType("AgentRegisterResponse");
  const bytes = grpcFrame(type.encode(type.fromObject({ success: true, error_message: "fine" })).finish());
  const client = await serve(async (stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    for (const byte of bytes) await new Promise<void>((resolve) => stream.write(Buffer.from([byte]), () => resolve()));
    stream.end();
  });
  expect(await register(client)).toEqual({ success: true, error_message: "fine" });
});

test("a trailers-only error is its status and its decoded message", async () => {
  const client = await serve((stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "no%20such%20agent" }, { endStream: true });
  });
  const error = await register(client).catch((e) => e);
  expect(error).toBeInstanceOf(CallError);
  expect(error).toMatchObject({ message: "grpc-status 5: no such agent", status: 5 });
});

test("a frame over the limit ends the call at its header, before its body is held", async () => {
  const client = await serve((stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 1);
    stream.write(header);
  });
  expect((await register(client).catch((e) => e)).message).toBe(`the server sent a message of ${MAX_FRAME_BYTES + 1} bytes, over the ${MAX_FRAME_BYTES}-byte limit`);
});

test("a compressed frame, which loom never asks for, is refused", async () => {
  const client = await serve((stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
    stream.write(Buffer.from([1, 0, 0, 0, 1, 0]));
  });
  expect((await register(client).catch((e) => e)).message).toBe("the server sent a compressed message, which loom did not ask for");
});

test("a message that is not what the method answers is said as such", async () => {
  const client = await serve((stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
    stream.write(grpcFrame(Uint8Array.from([0x12, 0x05, 0x61])));
  });
  expect((await register(client).catch((e) => e)).message).toBe("the server sent a message loom cannot read: a field runs past the message's end");
});

test("a server that never answers is 'no answer in time' at the deadline", async () => {
  const client = await serve((stream) => stream.respond({ ":status": 200, "content-type": "application/grpc" }));
  expect(await register(client, 50).catch((e) => e)).toMatchObject({ message: "no answer in time", status: 4 });
});

test("nothing listening is said as such", async () => {
  const server = http2.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const client = new H2Client({ address: `127.0.0.1:${port}`, shown: "test" });
  clients.push(client);
  expect((await register(client).catch((e) => e)).message).toBe("connection refused: nothing listens there");
});
