/**
 * Memory an LLM app uses (docs/memory.md), durable in `.loom/memory.db` (files/sqlite.ts: WAL,
 * refused when it cannot be trusted or read): per conversation (a thread) an ordered history of
 * entries, each with a role, its content as given (text or JSON), the agent and the time, found
 * again by recency or by full-text query (SQLite's FTS5, accents folded); and key-value state per
 * agent, per thread or global, with versions for compare-and-set. Bounded in bytes
 * (LOOM_MEMORY_MAX_BYTES): past it the oldest entries go first, and `onPrune` says how many.
 * The MemoryService of upstream keeps its sessions here too (memory.ts, scope "memoryservice").
 */
import { Database } from "bun:sqlite";
import { openDatabase } from "../files/sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, thread TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
  json INTEGER NOT NULL, agent TEXT, at INTEGER NOT NULL, bytes INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS entries_thread ON entries (thread, id);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(content, content = 'entries', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS entries_ai AFTER INSERT ON entries BEGIN INSERT INTO entries_fts(rowid, content) VALUES (new.id, new.content); END;
CREATE TRIGGER IF NOT EXISTS entries_ad AFTER DELETE ON entries BEGIN INSERT INTO entries_fts(entries_fts, rowid, content) VALUES ('delete', old.id, old.content); END;
CREATE TABLE IF NOT EXISTS kv (scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL, at INTEGER NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (scope, key));`;

export interface Entry {
  id: number;
  thread: string;
  role: string;
  content: unknown;
  agent: string | null;
  at: number;
}

interface Row {
  id: number;
  thread: string;
  role: string;
  content: string;
  json: number;
  agent: string | null;
  at: number;
}

const entryOf = (r: Row): Entry => ({ id: r.id, thread: r.thread, role: r.role, content: r.json ? JSON.parse(r.content) : r.content, agent: r.agent, at: r.at });
/** Characters FTS5's unicode61 tokenizer does not split into words (CJK): searched as substrings instead. */
const UNSEGMENTED = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/;

export class MemoryFull extends Error {}

export class MemoryDb {
  readonly db: Database;
  private bytes: number;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly onPrune: (entries: number) => void = () => {},
  ) {
    this.db = path === ":memory:" ? new Database(":memory:") : openDatabase(path, "the memory store").db;
    this.db.exec(SCHEMA);
    this.bytes = this.recount();
  }

  /** The bytes the rows say they take, entries and state: the bound's measure, read again after a change it cannot follow. */
  private recount(): number {
    const sum = (table: string) => this.db.query<{ n: number | null }, []>(`SELECT sum(bytes) AS n FROM ${table}`).get()?.n ?? 0;
    return sum("entries") + sum("kv");
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** Appends an entry to `thread`; the oldest entries go when the store is over its bytes. */
  append(thread: string, role: string, content: unknown, agent?: string): Entry {
    const json = typeof content !== "string";
    const text = json ? JSON.stringify(content) : content;
    const at = Date.now();
    const bytes = text.length + thread.length + role.length + (agent?.length ?? 0) + 64;
    const row = this.db
      .query<{ id: number }, [string, string, string, number, string | null, number, number]>(
        "INSERT INTO entries (thread, role, content, json, agent, at, bytes) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(thread, role, text, json ? 1 : 0, agent ?? null, at, bytes)!;
    this.bytes += bytes;
    this.bound();
    return { id: row.id, thread, role, content, agent: agent ?? null, at };
  }

  private bound(): void {
    if (this.bytes <= this.maxBytes) return;
    let dropped = 0;
    // A tenth of the way under the limit, so a flood does not prune on every append.
    const target = this.maxBytes * 0.9;
    while (this.bytes > target) {
      const gone = this.db.query<{ bytes: number }, []>("DELETE FROM entries WHERE id IN (SELECT id FROM entries ORDER BY id LIMIT 500) RETURNING bytes").all();
      if (gone.length === 0) break;
      dropped += gone.length;
      for (const g of gone) this.bytes -= g.bytes;
    }
    if (dropped) this.onPrune(dropped);
  }

  /** The last `limit` entries of `thread` (before entry `before` when given), oldest first. */
  history(thread: string, limit: number, before?: number): Entry[] {
    const rows = this.db
      .query<Row, [string, number, number]>("SELECT * FROM entries WHERE thread = ? AND id < ? ORDER BY id DESC LIMIT ?")
      .all(thread, before ?? Number.MAX_SAFE_INTEGER, limit);
    return rows.reverse().map(entryOf);
  }

  /** Entries that match `query` (every word, accents folded; best first), in `thread` or in all. */
  search(query: string, limit: number, thread?: string): (Entry & { snippet?: string })[] {
    if (UNSEGMENTED.test(query)) {
      const rows = this.db
        .query<Row, [string, string | null, string | null, number]>("SELECT * FROM entries WHERE instr(content, ?) > 0 AND (? IS NULL OR thread = ?) ORDER BY id DESC LIMIT ?")
        .all(query, thread ?? null, thread ?? null, limit);
      return rows.map(entryOf);
    }
    // Each word quoted: a user's text is never FTS5 syntax (an unmatched quote or a bare NOT).
    const words = query.split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    const match = words.map((w) => `"${w.replace(/"/g, '""')}"`).join(" ");
    const rows = this.db
      .query<Row & { snippet: string }, [string, string | null, string | null, number]>(
        `SELECT e.*, snippet(entries_fts, 0, '[', ']', '…', 12) AS snippet FROM entries_fts JOIN entries e ON e.id = entries_fts.rowid
         WHERE entries_fts MATCH ? AND (? IS NULL OR e.thread = ?) ORDER BY rank LIMIT ?`,
      )
      .all(match, thread ?? null, thread ?? null, limit);
    return rows.map((r) => ({ ...entryOf(r), snippet: r.snippet }));
  }

  /** Threads with their entry counts and last time, the most recent first. */
  threads(limit = 1_000): { thread: string; entries: number; last: number }[] {
    return this.db
      .query<{ thread: string; entries: number; last: number }, [number]>(
        "SELECT thread, count(*) AS entries, max(at) AS last FROM entries GROUP BY thread ORDER BY last DESC LIMIT ?",
      )
      .all(limit);
  }

  get(scope: string, key: string): { value: unknown; version: number } | undefined {
    const row = this.db.query<{ value: string; version: number }, [string, string]>("SELECT value, version FROM kv WHERE scope = ? AND key = ?").get(scope, key);
    return row ? { value: JSON.parse(row.value), version: row.version } : undefined;
  }

  /**
   * Sets `key` in `scope`; with `ifVersion`, only when its version is that (0: only when absent).
   * Resolves with the new version, or with the current one as `conflict` when it was not that.
   */
  set(scope: string, key: string, value: unknown, ifVersion?: number): { version: number } | { conflict: number } {
    const text = JSON.stringify(value ?? null);
    const bytes = text.length + scope.length + key.length + 48;
    // IMMEDIATE: the write lock is taken before the read, so a writer in another process (`loom
    // memory clear`, a second Bridge) waits its turn instead of failing with "database is locked".
    const setIt = this.db.transaction(() => {
      const current = this.db.query<{ version: number; bytes: number }, [string, string]>("SELECT version, bytes FROM kv WHERE scope = ? AND key = ?").get(scope, key);
      if (ifVersion !== undefined && (current?.version ?? 0) !== ifVersion) return { conflict: current?.version ?? 0 };
      const version = (current?.version ?? 0) + 1;
      this.db.run("INSERT OR REPLACE INTO kv (scope, key, value, version, at, bytes) VALUES (?, ?, ?, ?, ?, ?)", [scope, key, text, version, Date.now(), bytes]);
      const delta = bytes - (current?.bytes ?? 0);
      this.bytes += delta;
      this.bound();
      if (this.bytes > this.maxBytes)
        // State alone fills the store: refused; the rollback puts back what bound() removed (counted again below).
        throw new MemoryFull(`the memory store holds ${this.bytes - delta} bytes of state, at its limit of ${this.maxBytes}: delete keys or raise [memory] max_mb`);
      return { version };
    });
    try {
      return setIt.immediate();
    } catch (e) {
      this.bytes = this.recount(); // rolled back: the rows, not the arithmetic, say what the store holds
      throw e;
    }
  }

  delete(scope: string, key: string): boolean {
    const gone = this.db.query<{ bytes: number }, [string, string]>("DELETE FROM kv WHERE scope = ? AND key = ? RETURNING bytes").get(scope, key);
    if (gone) this.bytes -= gone.bytes;
    return gone !== null;
  }

  /** Every key of `scope` (the MemoryService's sessions are read back this way). */
  scope(scope: string): { key: string; value: unknown }[] {
    return this.db
      .query<{ key: string; value: string }, [string]>("SELECT key, value FROM kv WHERE scope = ?")
      .all(scope)
      .map((r) => ({ key: r.key, value: JSON.parse(r.value) }));
  }

  /** Everything, for `loom memory export`. */
  dump(): { entries: Entry[]; state: { scope: string; key: string; value: unknown; version: number }[] } {
    const entries = this.db.query<Row, []>("SELECT * FROM entries ORDER BY id").all().map(entryOf);
    const state = this.db
      .query<{ scope: string; key: string; value: string; version: number }, []>("SELECT scope, key, value, version FROM kv ORDER BY scope, key")
      .all()
      .map((r) => ({ ...r, value: JSON.parse(r.value) }));
    return { entries, state };
  }

  /** Removes a thread's entries, or everything; resolves with how many entries went. */
  clear(thread?: string): number {
    const gone = thread === undefined ? this.db.run("DELETE FROM entries").changes : this.db.run("DELETE FROM entries WHERE thread = ?", [thread]).changes;
    if (thread === undefined) this.db.run("DELETE FROM kv");
    this.bytes = this.recount();
    return gone;
  }

  close(): void {
    this.db.close();
  }
}

/** The store a Bridge uses, opened on first use; one that cannot be opened is said once and named on every use. */
export interface MemoryHandle {
  get(): MemoryDb;
  /** The store when it opened; undefined when it could not (the MemoryService then keeps sessions in memory only). */
  opened(): MemoryDb | undefined;
  close(): void;
}

/**
 * LOOM_MEMORY_DB (`.loom/memory.db`; in memory only when unset, as under `loom serve` without a
 * volume) within LOOM_MEMORY_MAX_BYTES (256 MB).
 */
export function memoryFromEnv(env: Record<string, string | undefined>, log: (line: string) => void): MemoryHandle {
  let db: MemoryDb | undefined;
  let failed: Error | undefined;
  const open = () => {
    if (db || failed) return;
    try {
      db = new MemoryDb(env.LOOM_MEMORY_DB || ":memory:", Number(env.LOOM_MEMORY_MAX_BYTES) || 256 * 1024 * 1024, (n) =>
        log(`the memory store is at its limit: ${n} of its oldest entries were removed ([memory] max_mb raises it)`),
      );
    } catch (e) {
      failed = e as Error;
      const hint = (e as { hint?: string }).hint;
      log(`warning: ${failed.message}${hint ? ` (${hint})` : ""}; memory:* tools answer this error, and the MemoryService keeps its sessions in memory only`);
    }
  };
  return {
    get() {
      open();
      if (db) return db;
      throw new MemoryUnavailable(`the memory store is unavailable: ${failed!.message}`);
    },
    opened() {
      open();
      return db;
    },
    close() {
      db?.close();
    },
  };
}

export class MemoryUnavailable extends Error {}
