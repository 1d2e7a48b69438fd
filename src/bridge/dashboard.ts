/**
 * The dashboard's JSON endpoints that tools and scripts use (full mode), on [dashboard] host and
 * port: `GET /api/metrics` (readiness), `/api/topology` (agents, their topics and tools) and
 * `/api/events/stream` (server-sent events of every published event). No web page yet.
 */
import type { EmbeddedBridge } from "./server";

export function serveDashboard(bridge: EmbeddedBridge, host: string, port: number): ReturnType<typeof Bun.serve> {
  const streams = new Set<ReadableStreamDefaultController<string>>();
  bridge.onPublish = (topic, event, from) => {
    if (streams.size === 0) return;
    const payload = event.payload ? Buffer.from(event.payload).toString("utf8") : "";
    const line = `data: ${JSON.stringify({ topic, from, id: event.id, type: event.type, metadata: event.metadata, payload })}\n\n`;
    for (const c of streams) {
      try {
        c.enqueue(line);
      } catch {
        streams.delete(c);
      }
    }
  };
  return Bun.serve({
    hostname: host,
    port,
    idleTimeout: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/api/metrics")
        return new Response(JSON.stringify({ runtime: "embedded", uptime_ms: Date.now() - bridge.stats.startedAt, agents: bridge.subscribers.size, ...bridge.stats }), {
          headers: { "content-type": "text/plain" },
        });
      if (path === "/api/topology")
        return Response.json({
          agents: [...bridge.registrations].map(([id, r]) => ({ id, topics: r.topics, tools: r.tools.map((t) => t.name), connected: bridge.subscribers.has(id) })),
        });
      if (path === "/api/events/stream") {
        let me: ReadableStreamDefaultController<string> | undefined;
        const body = new ReadableStream<string>({
          start(c) {
            me = c;
            streams.add(c);
          },
          cancel: () => void (me && streams.delete(me)),
        });
        return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
}
