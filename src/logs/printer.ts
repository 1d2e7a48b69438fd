/**
 * Foreground output: every process's lines prefixed with its coloured name (`researcher | ...`).
 * When the terminal cannot keep up, lines are skipped (and counted) rather than buffered: the log
 * files keep everything, loom's memory stays flat. A multibyte character split across two reads
 * is decoded whole; an agent's terminal controls other than colours (carriage returns, cursor
 * moves, title changes) are shown as `\xNN`, so no agent can overwrite a line or pose as loom.
 * When the reader goes away (`loom run | head`), printing stops and `onClosed` runs, quietly.
 */
import { colors } from "consola/utils";
import type { ConsoleSink, Stream } from "./sink";
import { RepeatFilter } from "./repeats";

const PALETTE = [colors.cyan, colors.magenta, colors.green, colors.yellow, colors.blue, colors.red];
const MAX_PARTIAL = 16 * 1024;
/** Colours (SGR) pass; any other escape sequence or control character is made visible. */
const CONTROL = /\x1b\[[0-9;]*m|\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?|[\x00-\x08\x0b-\x1f\x7f\x9b]/g;

export function neutralize(line: string): string {
  let coloured = false;
  const out = line.replace(CONTROL, (m) => {
    if (/^\x1b\[[0-9;]*m$/.test(m)) {
      coloured = true;
      return m;
    }
    return [...m].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
  });
  return coloured ? `${out}\x1b[0m` : out; // a colour never leaks into the next line's prefix
}

/**
 * A message of loom's own for a log line: control characters made visible (neutralize) and every
 * line after the first indented, so text from a file name or an agent can never start a line
 * that looks like loom's ("error: ...", a time stamp).
 */
export function logText(text: string, indent = "  "): string {
  return text
    .split("\n")
    .map((l, i) => (i === 0 ? "" : indent) + neutralize(l))
    .join("\n");
}

export class Printer {
  private readonly partial = new Map<string, string>();
  private readonly decoders = new Map<string, TextDecoder>();
  private readonly colorOf = new Map<string, (s: string) => string>();
  private width = 4;
  private skipped = 0;
  private readonly repeats = new RepeatFilter();
  private waiting = false;
  private closed = false;

  constructor(
    names: string[],
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly onClosed: () => void = () => {},
  ) {
    for (const [i, n] of names.entries()) this.colorOf.set(n, PALETTE[i % PALETTE.length]!);
    this.width = Math.max(4, ...names.map((n) => n.length));
    out.on("error", (e) => this.close(e));
  }

  private close(error: unknown): void {
    if (this.closed) return;
    if ((error as NodeJS.ErrnoException).code !== "EPIPE") throw error;
    this.closed = true;
    this.onClosed();
  }

  private prefix(name: string): string {
    const paint = this.colorOf.get(name) ?? colors.gray;
    return `${paint(name.padEnd(this.width))} | `;
  }

  /** Lines the log relay did not pass on: said as the terminal's own skips are. */
  private skip(lines: number): void {
    this.skipped += lines;
    if (!this.waiting) this.saySkipped();
  }

  private saySkipped(): void {
    const n = this.skipped;
    this.skipped = 0;
    this.emit(`${this.prefix("loom")}(${n} lines not shown: the terminal was busy; \`loom logs\` has them)\n`);
  }

  private emit(text: string): void {
    if (this.closed) return;
    if (this.waiting) {
      this.skipped += text.split("\n").length - 1;
      return;
    }
    try {
      if (this.out.write(text)) return;
    } catch (error) {
      this.close(error);
      return;
    }
    this.waiting = true;
    this.out.once("drain", () => {
      this.waiting = false;
      if (this.skipped) this.saySkipped();
    });
  }

  readonly sink: ConsoleSink = (name: string, stream: Stream, chunk: Uint8Array, skipped = 0) => {
    if (skipped) this.skip(skipped);
    const key = `${name}\0${stream}`;
    const decoder = this.decoders.get(key) ?? new TextDecoder();
    this.decoders.set(key, decoder);
    const text = (this.partial.get(key) ?? "") + decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    let rest = lines.pop() ?? "";
    if (rest.length > MAX_PARTIAL) {
      lines.push(rest);
      rest = "";
    }
    this.partial.set(key, rest);
    const shown = lines.filter((l) => this.repeats.show(name, l));
    if (shown.length) this.emit(shown.map((l) => this.prefix(name) + neutralize(l)).join("\n") + "\n");
  };

  /** A run of a process begins or ends (the supervisor says): a run that repeats the last one is said once. */
  run(name: string, phase: "start" | "end", restarted = false): void {
    if (phase === "start") {
      this.repeats.begin(name, restarted);
      return;
    }
    const said = this.repeats.end(name);
    if (said) this.line(name, said);
  }

  line(name: string, text: string): void {
    this.emit(
      text
        .split("\n")
        .map((l) => this.prefix(name) + neutralize(l))
        .join("\n") + "\n",
    );
  }
}
