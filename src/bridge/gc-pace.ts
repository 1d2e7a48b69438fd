/**
 * When the embedded Bridge collects its garbage. Every message leaves its frames and encodings
 * behind, and at tens of MB/s the collector's own pace let a flood's garbage pass 400 MB
 * (bench/bridge-floods.ts), a fan-out's 120 MB. So: a full collection every GC_EVERY_BYTES
 * received or queued for sending, and one more once traffic stops for QUIET_MS, so that what a
 * burst left under that pace (20-30 MB after a fan-out to 100 agents with the dashboard
 * streaming, bench/bridge.ts) is not held until the next burst.
 */
import { GC_EVERY_BYTES } from "./limits";

const QUIET_MS = 500;
/** Less than this since the last collection is not worth one when traffic stops. */
const QUIET_GC_BYTES = 256 * 1024;

export class GcPace {
  private bytes = 0;
  private lastMoved = 0;
  private quiet?: ReturnType<typeof setTimeout>;

  constructor(private readonly collect: () => void = () => Bun.gc(true)) {}

  /** `n` bytes were received or queued. */
  moved(n: number): void {
    this.bytes += n;
    this.lastMoved = performance.now();
    if (!this.quiet) this.wait(QUIET_MS);
    if (this.bytes < GC_EVERY_BYTES) return;
    this.bytes = 0;
    this.collect();
  }

  stop(): void {
    clearTimeout(this.quiet);
    this.quiet = undefined;
  }

  private wait(ms: number): void {
    this.quiet = setTimeout(() => this.whenQuiet(), ms);
    this.quiet.unref?.();
  }

  private whenQuiet(): void {
    this.quiet = undefined;
    const since = performance.now() - this.lastMoved;
    if (since < QUIET_MS) this.wait(QUIET_MS - since);
    else if (this.bytes >= QUIET_GC_BYTES) {
      this.bytes = 0;
      this.collect();
    }
  }
}
