/**
 * A database of loom's own in the project's `.loom/` (spans, memory), on Bun's SQLite in WAL mode:
 * readers never wait for the writer, and a crash loses at most the last transaction. What is
 * already there is judged before it is opened: a link, something not a file, or a file another
 * user owns or may write is refused (trust.ts), and a file that is not a database (or a damaged
 * one) is named with the fix; nothing is deleted or rewritten. A new file is made 0600.
 */
import { Database } from "bun:sqlite";
import { closeSync, lstatSync, openSync } from "node:fs";
import { LoomError } from "../errors";
import { distrust } from "./trust";

export interface OpenedDatabase {
  db: Database;
  /** Bytes the database's live pages take (its file less the free pages), the measure of its bound. */
  usedBytes(): number;
}

export function openDatabase(path: string, what: string): OpenedDatabase {
  let existed = true;
  try {
    const st = lstatSync(path);
    if (!st.isFile()) throw new LoomError("PROCESS", `${what} ${path} is not a regular file (a link or a directory)`, { hint: "move it away; loom makes a new one" });
    const distrusted = distrust(st);
    if (distrusted)
      throw new LoomError("PROCESS", `${what} ${path} cannot be trusted: ${distrusted}`, { hint: `remove it or make it yours (chmod go-w, chown) if you trust its content` });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    existed = false;
    // Created 0600 before SQLite opens it, and exclusively: a file that appeared meanwhile is not taken over.
    closeSync(openSync(path, "wx", 0o600));
  }
  let db: Database | undefined;
  try {
    db = new Database(path, { strict: true });
    // The wait for another writer first: switching to WAL, or creating the tables, may meet one.
    db.run("PRAGMA busy_timeout = 5000");
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    if (existed) {
      const check = db.query<{ quick_check: string }, []>("PRAGMA quick_check(1)").get();
      if (check?.quick_check !== "ok") throw new Error(check?.quick_check ?? "damaged");
    }
  } catch (e) {
    db?.close();
    if (e instanceof LoomError) throw e;
    throw new LoomError("PROCESS", `${what} ${path} cannot be opened as a database: ${(e as Error).message}`, {
      hint: "move it away to keep it (loom makes a new one), or restore it from a copy",
    });
  }
  const opened = db;
  const pageSize = opened.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size;
  const pages = opened.query<{ page_count: number }, []>("PRAGMA page_count");
  const free = opened.query<{ freelist_count: number }, []>("PRAGMA freelist_count");
  return { db: opened, usedBytes: () => (pages.get()!.page_count - free.get()!.freelist_count) * pageSize };
}
