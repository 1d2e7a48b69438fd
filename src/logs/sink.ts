/** Where a child's output goes besides its log files: the foreground printer (printer.ts). */
export type Stream = "out" | "err";
/** `skipped`: lines before this chunk that were not passed on (the console fell behind a flood). */
export type ConsoleSink = (name: string, stream: Stream, chunk: Uint8Array, skipped?: number) => void;
