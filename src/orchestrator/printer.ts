/**
 * Foreground output: every process's lines prefixed with its coloured name (`researcher | ...`).
 * When the terminal cannot keep up, lines are skipped (and counted) rather than buffered: the log
 * files keep everything, loom's memory stays flat.
 */
import { colors } from "consola/utils";
import type { ConsoleSink, Stream } from "./child";

const PALETTE = [colors.cyan, colors.magenta, colors.green, colors.yellow, colors.blue, colors.red];
const MAX_PARTIAL = 16 * 1024;

export class Printer {
  private readonly partial = new Map<string, string>();
  private readonly colorOf = new Map<string, (s: string) => string>();
  private width = 4;
  private skipped = 0;
  private waiting = false;

  constructor(
    names: string[],
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    names.forEach((n, i) => this.colorOf.set(n, PALETTE[i % PALETTE.length]!));
    this.width = Math.max(4, ...names.map((n) => n.length));
  }

  private prefix(name: string): string {
    const paint = this.colorOf.get(name) ?? colors.gray;
    return `${paint(name.padEnd(this.width))} | `;
  }

  private emit(text: string): void {
    if (this.waiting) {
      this.skipped += text.split("\n").length - 1;
      return;
    }
    if (!this.out.write(text)) {
      this.waiting = true;
      this.out.once("drain", () => {
        this.waiting = false;
        if (this.skipped) this.out.write(`${this.prefix("loom")}(${this.skipped} lines not shown: the terminal was busy; \`loom logs\` has them)\n`);
        this.skipped = 0;
      });
    }
  }

  readonly sink: ConsoleSink = (name: string, stream: Stream, chunk: Uint8Array) => {
    const key = `${name}\0${stream}`;
    const text = (this.partial.get(key) ?? "") + new TextDecoder().decode(chunk);
    const lines = text.split("\n");
    let rest = lines.pop() ?? "";
    if (rest.length > MAX_PARTIAL) {
      lines.push(rest);
      rest = "";
    }
    this.partial.set(key, rest);
    if (lines.length) this.emit(lines.map((l) => this.prefix(name) + l).join("\n") + "\n");
  };

  line(name: string, text: string): void {
    this.emit(text.split("\n").map((l) => this.prefix(name) + l).join("\n") + "\n");
  }
}
