/**
 * What the dashboard page reads and does beyond upstream's API, under `/api/loom/`: the project's
 * processes (what `loom status` shows) and their logs, a feed of events with their payloads, and
 * three actions: restart/stop/start through the supervisor's control socket, and publishing a test
 * event. The Bridge runs in the project directory, so it finds the ledger and the control socket
 * there. Every request has passed guard.ts (Host, owner); an action also needs the run's token,
 * which only a page of this origin can read (`/api/loom/session`; no CORS header is ever sent), as
 * a header a form or a simple cross-site request cannot set.
 */
import { z } from "zod";
import { followLogs, type FollowedFile } from "../../logs/follow";
import { tailEntries } from "../../logs/tail";
import { controlRequestSchema, askSupervisor } from "../../state/control";
import { readLedger } from "../../state/ledger";
import { liveProjectStatus } from "../../status/project";
import type { BridgeEvent, DashboardSource } from "./source";
import { SseHub } from "./sse";

/** What the page shows of a payload; more is cut, and said so. */
export const PAGE_PAYLOAD_CHARS = 4096;
const LOG_TAIL_LINES = 200;
export const TOKEN_HEADER = "x-loom-token";

const publishSchema = z.object({
  topic: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^*\s]+$/, "a topic without spaces or wildcards"),
  type: z.string().min(1).max(256).default("dashboard.test"),
  payload: z.unknown().default({}),
});

const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

/** The payload's first `chars` characters, decoding only the bytes they can take (a payload may be 4 MB). */
export function payloadText(payload: Uint8Array | undefined, chars: number): string {
  if (!payload) return "";
  return Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, chars * 4))
    .toString("utf8")
    .slice(0, chars);
}

/** What the page lists (page/main.ts reads this type): an event, a tool call, an agent coming or going. */
export type PageEvent =
  | { kind: "event"; at: number; topic: string; type: string; id: string; sender: string; payload: string; bytes: number }
  | { kind: "tool"; at: number; name: string; status: string; ms: number }
  | { kind: "agent"; at: number; id: string; registered: boolean };

/** An event as the page lists it: bounded payload text, and who and what. */
export function pageEvent(e: BridgeEvent): PageEvent | undefined {
  if (e.kind === "published") {
    const meta = e.event.metadata ?? {};
    return {
      kind: "event",
      at: e.at,
      topic: e.topic,
      type: e.event.type ?? "",
      id: e.event.id ?? "",
      sender: meta["loom.sender"] || meta.sender || e.from,
      payload: payloadText(e.event.payload, PAGE_PAYLOAD_CHARS),
      bytes: e.event.payload?.length ?? 0,
    };
  }
  if (e.kind === "tool") return { kind: "tool", at: e.at, name: e.name, status: e.status, ms: e.ms };
  if (e.kind === "registered" || e.kind === "unregistered") return { kind: "agent", at: e.at, id: e.agentId, registered: e.kind === "registered" };
  return undefined; // deliveries: the flow view counts them
}

export class LoomApi {
  readonly token = crypto.randomUUID();
  private readonly events = new SseHub();

  constructor(
    private readonly source: DashboardSource,
    private readonly root: string,
  ) {
    source.feed.add((e) => {
      if (!this.events.size) return;
      const shown = pageEvent(e);
      if (shown) this.events.sendData(shown);
    });
  }

  /** The answer to a request under /api/loom/, or undefined for any other path. */
  async handle(req: Request, path: string): Promise<Response | undefined> {
    if (!path.startsWith("/api/loom/")) return undefined;
    const route = `${req.method} ${path.slice("/api/loom".length)}`;
    if (route === "GET /session") return json({ token: this.token, root: this.root });
    if (route === "GET /processes") return json(await liveProjectStatus(this.root));
    if (route === "GET /events") return this.events.open() ?? new Response("too many event streams open\n", { status: 503 });
    if (route === "GET /logs") return this.logs(new URL(req.url).searchParams.get("name"));
    if (route === "POST /control" || route === "POST /publish") {
      const refused = this.refuseAction(req);
      if (refused) return json({ ok: false, error: refused }, 403);
      const body = await req.json().catch(() => undefined);
      return route === "POST /control" ? this.control(body) : this.publish(body);
    }
    return json({ error: "Not found" }, 404);
  }

  /** Why an action is refused: no token, a wrong one, or another origin's page. */
  private refuseAction(req: Request): string | undefined {
    if (req.headers.get(TOKEN_HEADER) !== this.token) return `missing or wrong ${TOKEN_HEADER} header (the page reads it from /api/loom/session)`;
    const origin = req.headers.get("origin");
    if (origin && URL.parse(origin)?.host !== req.headers.get("host")) return `a request from ${origin}, another origin`; // "null" (a sandboxed page) included
    return undefined;
  }

  private async control(body: unknown): Promise<Response> {
    const parsed = controlRequestSchema.safeParse(body);
    if (!parsed.success || parsed.data.cmd === "status") return json({ ok: false, error: "expected {cmd: restart|stop|start, names: [...]}" }, 400);
    const reply = await askSupervisor(this.root, parsed.data).catch((e: Error) => ({ ok: false, error: e.message }));
    return json(reply, reply.ok ? 200 : 409);
  }

  private async publish(body: unknown): Promise<Response> {
    const parsed = publishSchema.safeParse(body);
    if (!parsed.success) return json({ ok: false, error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") }, 400);
    const { topic, type, payload } = parsed.data;
    const id = crypto.randomUUID();
    const event = { id, type, timestamp_ms: Date.now(), source: "dashboard", metadata: { "loom.sender": "dashboard" }, payload: Buffer.from(JSON.stringify(payload)) };
    await this.source.publish?.("dashboard", topic, event);
    return json({ ok: true, id });
  }

  /** The last lines of a process's logs (every process's when no name), then what it appends, as SSE. */
  private logs(name: string | null): Response {
    const children = Object.values(readLedger(this.root)?.children ?? {});
    const files: FollowedFile[] = children
      .filter((c) => !name || c.name === name)
      .flatMap((c) => [
        { name: c.name, path: c.logs.out, err: false },
        { name: c.name, path: c.logs.err, err: true },
      ]);
    const hub = new SseHub();
    const frame = (f: FollowedFile, entry: { time?: number; text: string }) =>
      `data: ${JSON.stringify({ name: f.name, err: f.err, at: entry.time, text: entry.text.slice(0, 4096) })}\n\n`;
    const first = files
      .flatMap((f) => tailEntries(f.path, LOG_TAIL_LINES).map((entry) => ({ f, entry })))
      .sort((a, b) => (a.entry.time ?? 0) - (b.entry.time ?? 0))
      .slice(-LOG_TAIL_LINES)
      .map(({ f, entry }) => frame(f, entry))
      .join("");
    const response = hub.open(first || ": no log lines yet\n\n")!;
    const abort = new AbortController();
    const check = setInterval(() => hub.size === 0 && abort.abort(), 1_000);
    void followLogs(files, (f, entry) => hub.send(frame(f, entry)), abort.signal).finally(() => clearInterval(check));
    return response;
  }
}
