/** Where a child's output goes besides its log files: the foreground printer (printer.ts). */
export type Stream = "out" | "err";
export type ConsoleSink = (name: string, stream: Stream, chunk: Uint8Array) => void;
