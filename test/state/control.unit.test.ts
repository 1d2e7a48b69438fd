/** The control socket in-process: one request per connection, checked against the protocol. */
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "pathe";
import { type ControlRequest, parseControlRequest, serveControl } from "../../src/state/control";
import { tempDir } from "../helpers/tmp";

/** Sends raw chunks on one connection and collects the answer. */
async function send(path: string, chunks: string[]): Promise<string> {
  let answer = "";
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    unix: path,
    socket: {
      data: (_s, d) => {
        answer += d.toString();
      },
      close: () => closed.resolve(),
    },
  });
  for (const c of chunks) {
    socket.write(c);
    socket.flush();
    await Bun.sleep(5);
  }
  await closed.promise;
  return answer;
}

describe("the control socket", () => {
  test("requests are checked: a restart without names, an unknown command, not JSON", () => {
    expect(parseControlRequest('{"cmd":"restart","names":["a"]}')).toEqual({ req: { cmd: "restart", names: ["a"] } });
    expect(parseControlRequest('{"cmd":"restart"}')).toMatchObject({ reply: { ok: false, code: "USAGE", error: expect.stringContaining("names") } });
    expect(parseControlRequest('{"cmd":"explode"}')).toMatchObject({ reply: { ok: false, code: "USAGE" } });
    expect(parseControlRequest("nope")).toMatchObject({ reply: { ok: false, error: "not a JSON request" } });
  });

  test("one request per connection: bytes after the first line ask nothing", async () => {
    const root = tempDir();
    mkdirSync(join(root, ".loom"), { mode: 0o700 });
    const seen: ControlRequest[] = [];
    const server = serveControl(
      root,
      async (req) => {
        seen.push(req);
        return { ok: true };
      },
      () => {},
    )!;
    try {
      const answer = await send(server.path, ['{"cmd":"restart","names":[]}\n', "xxxx", '\n{"cmd":"stop","names":["a"]}\n']);
      expect(JSON.parse(answer)).toEqual({ ok: true });
      expect(seen).toEqual([{ cmd: "restart", names: [] }]);
    } finally {
      server.close();
    }
  });
});
