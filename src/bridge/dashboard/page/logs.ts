/// <reference lib="dom" />
/**
 * The page's logs: every process's, in one stream (`/api/loom/logs`); the list shows the chosen
 * process's (at most LOG_ROWS lines in the DOM), the trace view any of them (LOG_KEPT kept).
 */
import { $, el, time } from "./dom";

const LOG_ROWS = 500;
/** Log lines kept for the trace view (every process's, whatever the log list shows). */
const LOG_KEPT = 2_000;

export interface LogLine {
  name: string;
  err: boolean;
  at?: number;
  text: string;
}
export const RUNTIME_NAMES = new Set(["core", "bridge"]);
export const logBuffer: LogLine[] = [];
let logFilter = "";

/** Shows only `name`'s lines in the list (every process's when empty). */
export function filterLogs(name: string): void {
  logFilter = name;
  showLogs();
}
export const logRow = (line: LogLine) => el("li", { class: line.err ? "stderr" : undefined }, `${time(line.at)} ${line.name} ${line.err ? "!" : "|"} ${line.text}`);

function showLogs(): void {
  const list = $("#log-list");
  list.replaceChildren(
    ...logBuffer
      .filter((l) => !logFilter || l.name === logFilter)
      .slice(-LOG_ROWS)
      .map(logRow),
  );
  list.scrollTop = list.scrollHeight;
}

/** Every process's logs in one stream: the list shows the chosen process's, the trace view any of them. */
export function followLogs(): void {
  const logs = new EventSource("/api/loom/logs");
  logs.onmessage = (m) => {
    const line = JSON.parse(m.data) as LogLine;
    if (line.err && line.text.startsWith("--- loom ")) return; // loom's start and end markers are in both files: shown once
    logBuffer.push(line);
    if (logBuffer.length > LOG_KEPT) logBuffer.splice(0, logBuffer.length - LOG_KEPT);
    if (logFilter && line.name !== logFilter) return;
    const list = $("#log-list");
    list.append(logRow(line));
    while (list.childElementCount > LOG_ROWS) list.firstElementChild!.remove();
    list.scrollTop = list.scrollHeight;
  };
}
