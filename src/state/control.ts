/**
 * The control channel: the supervisor (foreground or detached) listens on a Unix socket,
 * `.loom/control.sock` (or its short stand-in, files/socket-path.ts), for `loom
 * restart|stop|start|status`. One JSON line asks, one JSON line answers, then the connection
 * closes: bytes after the first line are ignored, a connection that sends no line within
 * IDLE_MS is closed, and at most MAX_CONNECTIONS are open at once. The request is checked
 * against its schema before the supervisor sees it. The socket is made 0600 (umask 177 while it
 * is created) in a 0700 directory. A path there that is not a socket of this user is refused,
 * never removed; a socket of this user is stale (the supervisor holds the project lock, so no
 * other one can be listening) and is replaced. A client refuses a socket another user owns, and
 * a socket nobody listens on means loom is not running (exit 3), whatever the file says.
 */
import { lstatSync, unlinkSync } from "node:fs";
import { dirname } from "pathe";
import { z } from "zod";
import { LoomError } from "../errors";
import { socketPath } from "../files/socket-path";
import { distrust } from "../files/trust";
import { STATE_DIR } from "../constants";

export const CONTROL_SOCKET = "control.sock";
/** A connection that has not sent its request line by then is closed. */
const IDLE_MS = 10_000;
const MAX_CONNECTIONS = 32;
const MAX_REQUEST_BYTES = 64 * 1024;

const names = z.array(z.string().max(256)).max(1024);
export const controlRequestSchema = z.discriminatedUnion("cmd", [
  z.object({ cmd: z.literal("status") }),
  z.object({ cmd: z.literal("stop"), names }),
  z.object({ cmd: z.literal("start"), names, paths: z.array(z.string().max(4096)).max(1024).optional() }),
  z.object({ cmd: z.literal("restart"), names, runtime: z.boolean().optional(), agents: z.boolean().optional() }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;

export interface ControlReply {
  ok: boolean;
  /** One line per process acted on ("api: restarted (pid 123)"). */
  lines?: string[];
  /** What went wrong, and loom's exit code for it. */
  error?: string;
  code?: "USAGE" | "PROCESS" | "NOT_RUNNING";
  /** `status`: the live ledger. */
  ledger?: unknown;
}

/** The control socket's path, or undefined when no private place gives a short enough one. */
export function controlSocketPath(root: string, create = false): string | undefined {
  return socketPath(root, STATE_DIR, CONTROL_SOCKET, { create });
}

/** A request line checked against the protocol: the request, or the answer that refuses it. */
export function parseControlRequest(line: string): { req: ControlRequest } | { reply: ControlReply } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { reply: { ok: false, error: "not a JSON request", code: "USAGE" } };
  }
  const parsed = controlRequestSchema.safeParse(value);
  if (!parsed.success)
    return { reply: { ok: false, error: `not a control request: ${parsed.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ")}`, code: "USAGE" } };
  return { req: parsed.data };
}

export interface ControlServer {
  path: string;
  close(): void;
}

/** Listens on the project's control socket; `handle` answers each request. */
export function serveControl(root: string, handle: (req: ControlRequest) => Promise<ControlReply>, warn: (message: string) => void): ControlServer | undefined {
  if (process.platform === "win32") {
    warn("no control channel on Windows yet: restart/stop/start need a named pipe, which loom does not open yet");
    return undefined;
  }
  const path = controlSocketPath(root, true);
  if (!path) {
    warn(`no control channel: no private directory gives a socket path short enough for ${root}; set XDG_RUNTIME_DIR or TMPDIR to a short directory`);
    return undefined;
  }
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st) {
    if (!st.isSocket() || distrust(st))
      throw new LoomError("CONFIG", `refusing to replace ${path}: it is ${st.isSocket() ? `a socket ${distrust(st)}` : "not a socket"}`, {
        hint: `loom listens there for restart/stop/start; remove it (\`rm ${path}\`) and run again`,
      });
    unlinkSync(path); // ours and stale: this supervisor holds the project lock
  }
  let open = 0;
  const umask = process.umask(0o177);
  let server: ReturnType<typeof Bun.listen<{ buffer: string; asked: boolean }>>;
  try {
    server = Bun.listen<{ buffer: string; asked: boolean }>({
      unix: path,
      socket: {
        open(socket) {
          socket.data = { buffer: "", asked: false };
          if (++open > MAX_CONNECTIONS) return void socket.end(`${JSON.stringify({ ok: false, error: "too many control connections", code: "PROCESS" })}\n`);
          socket.timeout(IDLE_MS / 1000);
        },
        close() {
          open--;
        },
        timeout(socket) {
          if (!socket.data.asked) socket.end();
        },
        data(socket, chunk) {
          if (socket.data.asked) return; // one request per connection: later bytes ask nothing
          socket.data.buffer += chunk.toString("utf8");
          const newline = socket.data.buffer.indexOf("\n");
          if (newline < 0) {
            if (socket.data.buffer.length > MAX_REQUEST_BYTES) socket.end();
            return;
          }
          socket.data.asked = true;
          const line = socket.data.buffer.slice(0, newline);
          socket.data.buffer = "";
          socket.timeout(0);
          const parsed = parseControlRequest(line);
          if ("reply" in parsed) return void socket.end(`${JSON.stringify(parsed.reply)}\n`);
          handle(parsed.req).then(
            (reply) => socket.end(`${JSON.stringify(reply)}\n`),
            (error: Error) => socket.end(`${JSON.stringify({ ok: false, error: error.message, code: "PROCESS" })}\n`),
          );
        },
      },
    });
  } finally {
    process.umask(umask);
  }
  return {
    path,
    close() {
      server.stop(true);
      try {
        unlinkSync(path);
      } catch {}
    },
  };
}

/** Sends one request to the project's supervisor and waits for its answer. */
export async function askSupervisor(root: string, req: ControlRequest, timeoutMs = 120_000): Promise<ControlReply> {
  const path = controlSocketPath(root);
  const st = path ? lstatSync(path, { throwIfNoEntry: false }) : undefined;
  if (!path || !st) return { ok: false, code: "NOT_RUNNING", error: `loom is not running in ${root}` };
  const dir = lstatSync(dirname(path), { throwIfNoEntry: false });
  const why = st.isSocket() ? (distrust(st) ?? (dir && distrust(dir) ? `in ${dirname(path)}, which ${distrust(dir)!.replace(/^it /, "")}` : undefined)) : "not a socket";
  if (why) throw new LoomError("CONFIG", `refusing to use ${path}: it is ${why}`, { hint: `remove it (\`rm ${path}\`); loom makes it again when it starts` });
  const answer = Promise.withResolvers<ControlReply>();
  let received = "";
  const timer = setTimeout(() => answer.resolve({ ok: false, code: "PROCESS", error: `the supervisor did not answer within ${timeoutMs / 1000}s` }), timeoutMs);
  try {
    await Bun.connect({
      unix: path,
      socket: {
        open(socket) {
          socket.write(`${JSON.stringify(req)}\n`);
        },
        data(_socket, chunk) {
          received += chunk.toString("utf8");
        },
        close() {
          try {
            answer.resolve(JSON.parse(received));
          } catch {
            answer.resolve({ ok: false, code: "PROCESS", error: "the supervisor closed the connection without an answer" });
          }
        },
      },
    });
  } catch {
    clearTimeout(timer);
    // Nobody listens: a supervisor that was killed left its socket behind.
    return { ok: false, code: "NOT_RUNNING", error: `loom is not running in ${root} (its control socket is stale)` };
  }
  try {
    return await answer.promise;
  } finally {
    clearTimeout(timer);
  }
}
