/** The dashboard's event streams (SseHub): what a client sees from its first byte on. */
import { expect, test } from "bun:test";
import { SseHub } from "../../src/bridge/dashboard/sse";

test("a new event stream sends something at once, so a client's fetch resolves before the first event", async () => {
  const hub = new SseHub();
  try {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => hub.open()! });
    try {
      const abort = new AbortController();
      const res = await fetch(`http://127.0.0.1:${server.port}/`, { signal: AbortSignal.any([abort.signal, AbortSignal.timeout(5_000)]) });
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first.startsWith(":")).toBe(true); // an SSE comment: no event for a reader
      hub.sendData({ n: 1 });
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: {"n":1}\n\n');
      abort.abort();
    } finally {
      server.stop(true);
    }
  } finally {
    hub.close();
  }
});
