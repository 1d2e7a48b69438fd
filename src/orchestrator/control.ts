/**
 * The control channel: the supervisor (foreground or detached) listens on a Unix socket,
 * `.loom/control.sock`, for `loom restart|stop|start|status`. One JSON line asks, one JSON line
 * answers, then the connection closes. The socket is made 0600 (umask 177 while it is created) in
 * the 0700 `.loom/`. A path there that is not a socket of this user is refused, never removed; a
 * socket of this user is stale (the supervisor holds the project lock, so no other one can be
 * listening) and is replaced. A client refuses a socket another user owns, and a socket nobody
 * listens on means loom is not running (exit 3), whatever the file says.
 */
import { lstatSync, unlinkSync } from "node:fs";
import { join } from "pathe";
import { LoomError } from "../errors";
import { distrust } from "../files/trust";
import { STATE_DIR } from "./constants";

export const CONTROL_SOCKET = "control.sock";
/** sun_path holds 108 bytes on Linux (104 on macOS); longer paths have no control channel. */
const MAX_SOCKET_PATH = 100;

export type ControlRequest =
  | { cmd: "status" }
  | { cmd: "stop"; names: string[] }
  | { cmd: "start"; names: string[]; paths?: string[] }
  | { cmd: "restart"; names: string[]; runtime?: boolean };

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

export function controlSocketPath(root: string): string {
  return join(root, STATE_DIR, CONTROL_SOCKET);
}

export interface ControlServer {
  path: string;
  close(): void;
}

/** Listens on the project's control socket; `handle` answers each request. */
export function serveControl(root: string, handle: (req: ControlRequest) => Promise<ControlReply>, warn: (message: string) => void): ControlServer | undefined {
  const path = controlSocketPath(root);
  if (process.platform === "win32") {
    warn("no control channel on Windows yet: restart/stop/start need a named pipe, which loom does not open yet");
    return undefined;
  }
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    warn(`no control channel: ${path} is longer than a Unix socket path may be; restart/stop/start need a shorter project path`);
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
  const umask = process.umask(0o177);
  let server: ReturnType<typeof Bun.listen<{ buffer: string }>>;
  try {
    server = Bun.listen<{ buffer: string }>({
      unix: path,
      socket: {
        open(socket) {
          socket.data = { buffer: "" };
        },
        data(socket, chunk) {
          socket.data.buffer += chunk.toString("utf8");
          const newline = socket.data.buffer.indexOf("\n");
          if (newline < 0) {
            if (socket.data.buffer.length > 64 * 1024) socket.end();
            return;
          }
          let req: ControlRequest;
          try {
            req = JSON.parse(socket.data.buffer.slice(0, newline));
          } catch {
            socket.end(`${JSON.stringify({ ok: false, error: "not a JSON request", code: "USAGE" })}\n`);
            return;
          }
          handle(req).then(
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
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return { ok: false, code: "NOT_RUNNING", error: `loom is not running in ${root}` };
  const why = st.isSocket() ? distrust(st) : "not a socket";
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
