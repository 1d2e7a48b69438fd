/**
 * The memory store by itself: full-text search across scripts, a flood that stays under its bytes
 * (the oldest going first, said), compare-and-set under writers racing from several processes,
 * and user text that is never FTS5 syntax.
 */
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "pathe";
import { MemoryDb } from "../../src/bridge/memory-db";
import { ROOT } from "../helpers/loom";
import { tempDir } from "../helpers/tmp";

const fresh = (maxBytes = 64 * 1024 * 1024, onPrune?: (n: number) => void) => new MemoryDb(join(tempDir(), "memory.db"), maxBytes, onPrune);

describe("MemoryDb", () => {
  test("search finds words whatever their script, case or accents; CJK by substring; user text is never FTS5 syntax", () => {
    const db = fresh();
    db.append("t1", "user", "Le CAFÉ de la gare est fermé");
    db.append("t1", "user", "Москва — столица России");
    db.append("t2", "assistant", { note: "Ελληνικά γράμματα", tags: ["Zürich"] });
    db.append("t2", "user", "東京は日本の首都です");
    const texts = (q: string, thread?: string) => db.search(q, 10, thread).map((e) => e.content);
    expect(texts("cafe ferme")).toEqual(["Le CAFÉ de la gare est fermé"]);
    expect(texts("москва")).toEqual(["Москва — столица России"]);
    expect(texts("ΕΛΛΗΝΙΚΆ")).toEqual([{ note: "Ελληνικά γράμματα", tags: ["Zürich"] }]); // JSON content is searched as its text; case folded
    expect(texts("zurich", "t1")).toEqual([]);
    expect(texts("東京")).toEqual(["東京は日本の首都です"]);
    for (const hostile of ['"unbalanced', "NOT", "a AND OR", "col:umn", "*", "(((", 'x" OR "1']) expect(() => db.search(hostile, 10)).not.toThrow();
    expect(db.search("   ", 10)).toEqual([]);
    db.close();
  });

  test("a flood of appends stays under the byte bound, the newest kept, the pruning said; state keeps its versions", () => {
    let pruned = 0;
    const db = fresh(2 * 1024 * 1024, (n) => (pruned += n));
    db.set("agent:a", "k", { v: 1 });
    const text = "x".repeat(1_000);
    for (let i = 0; i < 10_000; i++) db.append(`t${i % 7}`, "user", `${i} ${text}`);
    expect(db.usedBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(pruned).toBeGreaterThan(0);
    expect(db.history("t3", 1)[0]!.content).toStartWith(`${9_999 - ((9_999 - 3) % 7)} `); // the newest of t3
    expect(db.get("agent:a", "k")).toEqual({ value: { v: 1 }, version: 1 });
    expect(statSync(db.path).size).toBeLessThan(8 * 1024 * 1024); // freed pages are reused
    db.close();
  });

  test("state that cannot fit even with every entry gone is refused: the entries stay, and so does the count of bytes", () => {
    const db = fresh(64 * 1024);
    for (let i = 0; i < 10; i++) db.append("t", "user", `entry ${i} ${"x".repeat(1_000)}`);
    const before = db.usedBytes;
    expect(() => db.set("global", "huge", "y".repeat(100 * 1024))).toThrow(/at its limit of 65536/);
    expect(db.history("t", 100)).toHaveLength(10);
    expect(db.usedBytes).toBe(before);
    db.close();
  });

  test("compare-and-set holds with writers in four processes at once: every increment counted once", async () => {
    const path = join(tempDir(), "memory.db");
    new MemoryDb(path, 64 * 1024 * 1024).close();
    const writer = join(ROOT, "test/fixtures/memory-writer.ts");
    const procs = Array.from({ length: 4 }, (_, i) => Bun.spawn([process.execPath, writer, path, String(i)], { stdout: "pipe", stderr: "pipe" }));
    const codes = await Promise.all(procs.map((p) => p.exited));
    const errors = await Promise.all(procs.map((p) => new Response(p.stderr).text()));
    expect({ codes, errors: errors.filter(Boolean) }).toEqual({ codes: [0, 0, 0, 0], errors: [] });
    const db = new MemoryDb(path, 64 * 1024 * 1024);
    expect(db.get("global", "counter")).toEqual({ value: 200, version: 200 });
    expect(db.history("race", 1_000)).toHaveLength(200);
    db.close();
  });
});
