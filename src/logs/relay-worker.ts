/**
 * The log relay's thread (logs/relay.ts starts it): what supervisord does for its children, in
 * one loop. poll(2) waits on every child's stdout and stderr pipe and on the command pipe; a
 * ready pipe is read into the one buffer this thread reuses, its lines stamped and written to the
 * child's log file at once. Nothing but the time stamp is allocated per read, so a flood neither slows the
 * supervisor's own thread nor grows its memory (docs/benchmarks.md, "Log floods"). Commands
 * come as JSON lines on the command pipe, in order with nothing else to race them; answers go
 * back as messages.
 */
import { closeSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, pipes } from "../system/pipes";
import { ByteTail } from "./byte-tail";
import { LogFile } from "./log-file";
import { type FromRelay, FORWARD_MAX_BYTES, type ToRelay } from "./relay";

interface Relayed {
  fd: number;
  file: LogFile;
  tail?: ByteTail;
  forward: boolean;
  /** Given a bigger pipe (one of GROWN_MAX). */
  grown: boolean;
  /** Lines not forwarded since the last chunk that was. */
  skipped: number;
  /** The pipe reached its end (every writer gone) and is closed. */
  eof: boolean;
  /** The supervisor is done with the file. */
  ended: boolean;
}

const { commands, inFlight } = workerData as { commands: number; inFlight: Int32Array };
const p = pipes()!;
/**
 * A pipe found full when read (its child writes faster than one read a wake-up takes) is grown to
 * GROWN_BYTES, for at most GROWN_MAX pipes at once: 500 MB of flood went through at 798 MB/s with
 * 64 KB pipes and 1,264–1,281 with 1 MB ones (bench/log-flood.ts). Growing every pipe would count
 * against the user's pipe pages (fs.pipe-user-pages-soft, 64 MB by default), past which each new
 * pipe of theirs, in any program, gets two pages.
 */
const GROWN_BYTES = 1024 * 1024;
const GROWN_MAX = 8;
const DEFAULT_PIPE = 64 * 1024;
let grown = 0;
const buffer = Buffer.allocUnsafe(GROWN_BYTES / 4);
const commandText = new TextDecoder(); // streaming: a character split between two reads is whole
const streams = new Map<number, Relayed>();
let pending = "";
let polled: number[] = []; // the stream ids in the poll set, after the command pipe
let set = new Int32Array(2);
let stale = true;

const send = (m: FromRelay) => parentPort!.postMessage(m);

function command(m: ToRelay): boolean {
  if (m.op === "stop") return false;
  if (m.op === "add") {
    const file = new LogFile(m.path, m.maxBytes, undefined, (e) => send({ op: "error", id: m.id, message: e instanceof Error ? e.message : String(e) }));
    file.marker(m.marker);
    streams.set(m.id, { fd: m.fd, file, tail: m.tail ? new ByteTail(m.tail) : undefined, forward: m.forward, grown: false, skipped: 0, eof: false, ended: false });
    stale = true;
  } else {
    const s = streams.get(m.id);
    if (!s) return true;
    readWaiting(m.id, s);
    if (m.marker) s.file.marker(m.marker);
    s.file.close(); // what the pipe still brings (a grandchild holding it) is read and dropped
    s.ended = true;
    send({ op: "ended", id: m.id, tail: s.tail?.text() ?? "" });
    if (s.eof) streams.delete(m.id);
  }
  return true;
}

function readCommands(): boolean {
  const k = readSync(commands, buffer, 0, buffer.length, null);
  if (k === 0) return false; // the supervisor's end of it closed: it is gone
  pending += commandText.decode(buffer.subarray(0, k), { stream: true });
  let newline = pending.indexOf("\n");
  while (newline >= 0) {
    if (!command(JSON.parse(pending.slice(0, newline)) as ToRelay)) return false;
    pending = pending.slice(newline + 1);
    newline = pending.indexOf("\n");
  }
  return true;
}

function readStream(id: number, s: Relayed): void {
  let k = 0;
  try {
    k = readSync(s.fd, buffer, 0, buffer.length, null);
  } catch {} // EIO and the like end the pipe as its end would
  if (k >= DEFAULT_PIPE && !s.grown && grown < GROWN_MAX && p.grow(s.fd, GROWN_BYTES)) {
    s.grown = true;
    grown++;
  }
  if (k > 0) {
    const chunk = buffer.subarray(0, k);
    s.file.write(chunk);
    s.tail?.add(chunk);
    if (s.forward) forward(id, s, chunk);
    return;
  }
  try {
    closeSync(s.fd);
  } catch {} // already gone (POLLNVAL): nothing to close
  if (s.grown) grown--;
  s.eof = true;
  stale = true;
  send({ op: "eof", id });
  if (s.ended) streams.delete(id);
}

const one = new Int32Array(2);
const READABLE = POLLIN | POLLHUP | POLLERR;

/**
 * What the pipe holds now, read before its file closes: the child wrote it before it exited, so
 * before the supervisor said "end", but this thread may not have polled the pipe yet (its "add"
 * came in the same batch as the "end", or a busy machine). Bounded: a grandchild that keeps
 * writing is read at most this many times here; the rest is dropped with the closed file.
 */
function readWaiting(id: number, s: Relayed): void {
  for (let reads = 0; reads < 64 && !s.eof; reads++) {
    one[0] = s.fd;
    one[1] = POLLIN;
    if (p.poll(one, 1, 0) <= 0 || !((one[1]! >>> 16) & READABLE)) return;
    readStream(id, s);
  }
}

/** To the console: a copy (the buffer is reused), or counted as skipped while the console is behind. */
function forward(id: number, s: Relayed, chunk: Buffer): void {
  if (Atomics.load(inFlight, 0) > FORWARD_MAX_BYTES) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) s.skipped++;
    return;
  }
  Atomics.add(inFlight, 0, chunk.length);
  send({ op: "chunk", id, chunk: new Uint8Array(chunk), skipped: s.skipped });
  s.skipped = 0;
}

function rebuild(): void {
  polled = [...streams].filter(([, s]) => !s.eof).map(([id]) => id);
  set = new Int32Array(2 * (polled.length + 1));
  set[0] = commands;
  set[1] = POLLIN;
  polled.forEach((id, i) => {
    set[2 * (i + 1)] = streams.get(id)!.fd;
    set[2 * (i + 1) + 1] = POLLIN;
  });
  stale = false;
}

const READY = POLLIN | POLLHUP | POLLERR | POLLNVAL;
// struct pollfd is {int fd; short events; short revents}: on a little-endian machine (every one
// Bun runs on) revents is the high half of each entry's second 32-bit word.
const revents = (i: number) => (set[2 * i + 1]! >>> 16) & READY;

let failures = 0;
for (;;) {
  if (stale) rebuild();
  for (let i = 0; i <= polled.length; i++) set[2 * i + 1] = POLLIN; // clears revents
  if (p.poll(set, polled.length + 1, -1) < 0) {
    // EINTR once in a while; a poll that keeps failing (more pipes than the fd limit) must not
    // spin: this thread ends, and the supervisor reads new children's output itself (relay.ts).
    if (++failures > 100) throw new Error("poll(2) keeps failing: more pipes than the open-file limit?");
    continue;
  }
  failures = 0;
  const ids = polled;
  for (let i = 1; i <= ids.length; i++) {
    if (!revents(i)) continue;
    const s = streams.get(ids[i - 1]!);
    if (s && !s.eof) readStream(ids[i - 1]!, s);
  }
  if (revents(0) && !readCommands()) break;
}
for (const s of streams.values()) {
  s.file.close();
  if (!s.eof) closeSync(s.fd);
}
