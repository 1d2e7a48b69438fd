/** The Heartbeat probe against servers that lie: what it reports, and that it never throws. */
import { afterEach, expect, test } from "bun:test";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { grpcHeartbeat } from "../../src/net/health";

const servers: http2.Http2Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** An HTTP/2 server on loopback that answers every request with these headers (trailers-only). */
async function answering(headers: Record<string, string>): Promise<string> {
  const server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.on("error", () => {});
    stream.respond({ ":status": 200, "content-type": "application/grpc", ...headers }, { endStream: true });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("a grpc-message that is not valid percent-encoding is shown as sent, not a URIError", async () => {
  const address = await answering({ "grpc-status": "14", "grpc-message": "broken %E0%A4%A here" });
  expect(await grpcHeartbeat(address, 2_000)).toEqual({ ok: false, detail: "grpc-status 14: broken %E0%A4%A here" });
});

test("a well-formed grpc-message is decoded; status 0 is healthy; no status is named", async () => {
  expect(await grpcHeartbeat(await answering({ "grpc-status": "12", "grpc-message": "not%20here" }), 2_000)).toEqual({ ok: false, detail: "grpc-status 12: not here" });
  expect(await grpcHeartbeat(await answering({ "grpc-status": "0" }), 2_000)).toEqual({ ok: true });
  expect(await grpcHeartbeat(await answering({}), 2_000)).toEqual({ ok: false, detail: "answer without grpc-status" });
});
