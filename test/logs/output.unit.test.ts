/** What loom prints of its processes' output: rotation, split characters, terminal controls, a closed pipe. */
import { describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { join } from "pathe";
import { followLogs } from "../../src/logs/follow";
import { Printer, neutralize } from "../../src/logs/printer";
import { tempDir } from "../helpers/tmp";

describe("loom logs -f", () => {
  test("loses no line at rotation, and decodes a character split between writes", async () => {
    const path = join(tempDir(), "agent.log");
    writeFileSync(path, "old\n");
    const seen: string[] = [];
    const abort = new AbortController();
    // The follower polls when this test says so: `tick()` lets one poll happen and waits for it.
    let release = () => {};
    let polled = () => {};
    const wait = () => {
      polled();
      return new Promise<void>((r) => (release = r));
    };
    const tick = () =>
      new Promise<void>((done) => {
        polled = done;
        release();
      });
    const following = followLogs([{ name: "agent", path, err: false }], (_, entry) => seen.push(entry.text), abort.signal, wait);
    appendFileSync(path, "one\ntwo\n");
    await tick();
    expect(seen).toEqual(["one", "two"]);
    // Between two polls: more lines, then the rotation, then the new file's lines.
    appendFileSync(path, "three\nfour\n");
    renameSync(path, `${path}.1`);
    writeFileSync(path, "five\n");
    appendFileSync(path, Buffer.from([0x63, 0x61, 0x66, 0xc3]));
    await tick(); // the follower reads the first byte of é alone (the split under test)
    appendFileSync(path, Buffer.from([0xa9, 0x0a]));
    await tick();
    abort.abort();
    release();
    await following;
    expect(seen).toEqual(["one", "two", "three", "four", "five", "café"]);
  });
});

function sinkStream(): Writable & { text: string } {
  const s = new Writable({
    write: (chunk, _enc, done) => {
      s.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  s.text = "";
  return s;
}

describe("the foreground printer", () => {
  test("a multibyte character split across two reads is printed whole", () => {
    const out = sinkStream();
    const p = new Printer(["agent"], out);
    const bytes = new TextEncoder().encode("naïve ☃\n");
    p.sink("agent", "out", bytes.subarray(0, 3));
    p.sink("agent", "out", bytes.subarray(3));
    expect(out.text).toContain("agent | naïve ☃");
  });

  test("an agent's terminal controls cannot rewrite the line or pose as loom; colours pass", () => {
    expect(neutralize("progress 50%\rloom | runtime stopped")).toBe("progress 50%\\x0dloom | runtime stopped");
    expect(neutralize("\x1b[2K\x1b[1Gfake")).toBe("\\x1b\\x5b\\x32\\x4b\\x1b\\x5b\\x31\\x47fake");
    expect(neutralize("\x1b]0;title\x07x")).toStartWith("\\x1b");
    expect(neutralize("\x1b[31mred\x1b[0m")).toBe("\x1b[31mred\x1b[0m\x1b[0m");
    expect(neutralize("tab\tstays")).toBe("tab\tstays");
  });

  test("a reader that went away (EPIPE) stops the printing quietly and says so once", () => {
    let closed = 0;
    const out = new Writable({ write: (_c, _e, done) => done(Object.assign(new Error("EPIPE"), { code: "EPIPE" })) });
    out.on("error", () => {});
    const p = new Printer(["agent"], out, () => closed++);
    out.emit("error", Object.assign(new Error("broken pipe"), { code: "EPIPE" }));
    p.sink("agent", "out", new TextEncoder().encode("after\n"));
    expect(closed).toBe(1);
  });
});

describe("log files carry each line's time", () => {
  test("a time starts each line, also a line split across writes (once), and the marker after a partial line", async () => {
    const { LogFile } = await import("../../src/logs/log-file");
    const { tailEntries } = await import("../../src/logs/tail");
    const path = join(tempDir(), "a.log");
    const log = new LogFile(path);
    const before = Date.now();
    log.write("one\ntw");
    log.write("o\nthree");
    log.write("\n"); // a chunk that only ends the line (Python's print can write its end apart)
    log.write("four\n");
    log.marker("a ended: exit code 0");
    log.close();
    const entries = tailEntries(path, 10);
    expect(entries.map((e) => e.text)).toEqual(["one", "two", "three", "four", expect.stringMatching(/^--- loom \S+ a ended: exit code 0 ---$/)]);
    for (const e of entries) expect(e.time!).toBeGreaterThanOrEqual(before - 1); // every line has its time
    expect(readFileSync(path, "utf8").split("\n")[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z two$/);
  });

  test("interleaving is by time, stable within a file; --since takes durations and dates", async () => {
    const { byTime } = await import("../../src/logs/follow");
    const { sinceTime } = await import("../../src/cli/commands/logs");
    const a = { f: "a", entry: { time: 10, text: "a1" } };
    const a2 = { f: "a", entry: { text: "a2 (no time: after a1)" } };
    const b = { f: "b", entry: { time: 5, text: "b1" } };
    const b2 = { f: "b", entry: { time: 10, text: "b2" } };
    expect(byTime([a, a2, b, b2]).map((l) => l.entry.text)).toEqual(["b1", "a1", "a2 (no time: after a1)", "b2"]);
    expect(sinceTime("10m", 1_000_000)).toBe(400_000);
    expect(sinceTime("1.5h", 10_000_000)).toBe(10_000_000 - 5_400_000);
    expect(sinceTime("2026-11-26T15:00:00Z")).toBe(Date.parse("2026-11-26T15:00:00Z"));
    expect(() => sinceTime("yesterday")).toThrow("--since must be a duration like 10m, 2h or 1d, or a date and time");
  });
});
