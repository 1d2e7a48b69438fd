/**
 * What the tools' sandbox costs a `system:shell` call: the same `echo` through the embedded Bridge
 * (`loom __bridge`) with the sandbox (loom's own executable started as the launcher, the project
 * walked, Landlock applied, then exec) and without (LOOM_SANDBOX=off: the command spawned
 * directly, the floor), interleaved, sequential calls, round trip as the caller sees it. The
 * project is the size given (`--files N` files in `--dirs N` directories) to show the walk's share.
 * Run: bun run build && bun bench/tool-sandbox.ts [--calls 40] [--dirs 200] [--files 2000]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as grpc from "@grpc/grpc-js";
import { join } from "pathe";
import { loomV1 } from "../src/protocol/services";
import { grpcHeartbeat } from "../src/net/health";
import { freePort } from "../src/net/ports";
import { fmt, LOOM, median, numberFlag, table } from "./lib";

const calls = numberFlag("calls", 40);
const dirs = numberFlag("dirs", 200);
const files = numberFlag("files", 2000);
const work = mkdtempSync(join(tmpdir(), "loom-bench-sandbox-"));
writeFileSync(join(work, ".env"), "KEY=secret\n");
for (let d = 0; d < dirs; d++) mkdirSync(join(work, `d${d}`));
for (let f = 0; f < files; f++) writeFileSync(join(work, `d${f % dirs}`, `f${f}.txt`), "x");

type Caller = (args: object) => Promise<{ status: string }>;
async function bridge(sandbox: boolean): Promise<{ call: Caller; stop(): void }> {
  const address = `127.0.0.1:${await freePort("127.0.0.1")}`;
  const proc = Bun.spawn([LOOM, "__bridge"], {
    cwd: work,
    env: { PATH: process.env.PATH, LOOM_BRIDGE_ADDR: address, ...(sandbox ? {} : { LOOM_SANDBOX: "off" }), LOOM_SHELL_ALLOW: '["echo"]' },
    stdout: "ignore",
    stderr: "inherit",
  });
  while (!(await grpcHeartbeat(address, 500)).ok) await Bun.sleep(5);
  const { Bridge } = loomV1();
  const client = new Bridge(address, grpc.credentials.createInsecure());
  const call: Caller = (args) =>
    new Promise((ok, fail) => client.ForwardToolCall({ name: "system:shell", arguments: JSON.stringify(args) }, (e, r) => (e || !r ? fail(e) : ok(r))));
  return {
    call,
    stop: () => {
      client.close();
      proc.kill();
    },
  };
}

const on = await bridge(true);
const off = await bridge(false);
const times: Record<"on" | "off", number[]> = { on: [], off: [] };
for (let i = 0; i < calls + 3; i++)
  for (const [name, b] of [
    ["on", on],
    ["off", off],
  ] as const) {
    const started = performance.now();
    const r = await b.call({ command: "echo", args: ["hi"] });
    if (r.status !== "TOOL_OK") throw new Error(`echo through the ${name} Bridge: ${JSON.stringify(r)}`);
    if (i >= 3) times[name].push(performance.now() - started); // the first calls warm the page cache
  }
on.stop();
off.stop();
rmSync(work, { recursive: true, force: true });
const m = { on: median(times.on), off: median(times.off) };
console.log(
  table([
    ["system:shell echo", "median ms", "p90 ms", "/ floor"],
    ["without the sandbox (the floor)", fmt(m.off, 1), fmt(times.off.sort((a, b) => a - b)[Math.floor(calls * 0.9)], 1), "1.00"],
    [`in the sandbox (${dirs} dirs, ${files} files)`, fmt(m.on, 1), fmt(times.on.sort((a, b) => a - b)[Math.floor(calls * 0.9)], 1), fmt(m.on / m.off, 2)],
  ]),
);
process.exit(0);
