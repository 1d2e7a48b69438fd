/** The last `max` bytes of a stream (a child's stderr, for crash reports and hints). */
export class ByteTail {
  private tail = new Uint8Array(0);

  constructor(private readonly max: number) {}

  add(chunk: Uint8Array): void {
    const all = this.tail.length + chunk.length;
    const merged = new Uint8Array(Math.min(all, this.max));
    const skip = all - merged.length;
    if (skip < this.tail.length) {
      merged.set(this.tail.subarray(skip), 0);
      merged.set(chunk, this.tail.length - skip);
    } else merged.set(chunk.subarray(skip - this.tail.length), 0);
    this.tail = merged;
  }

  text(): string {
    return new TextDecoder().decode(this.tail);
  }
}
