/** When the Bridge collects (bridge/gc-pace.ts): at its pace under traffic, and once when a burst ends. */
import { expect, test } from "bun:test";
import { GcPace } from "../../src/bridge/gc-pace";
import { GC_EVERY_BYTES } from "../../src/bridge/limits";

test("traffic is collected every GC_EVERY_BYTES, and what a burst left once the Bridge is quiet", async () => {
  let collected = 0;
  let onCollect: (() => void) | undefined;
  const pace = new GcPace(() => {
    collected++;
    onCollect?.();
  });
  try {
    pace.moved(GC_EVERY_BYTES);
    expect(collected).toBe(1); // at once, under traffic
    const quiet = new Promise<void>((resolve) => (onCollect = resolve));
    pace.moved(300 * 1024); // the end of a burst, under the pace
    expect(collected).toBe(1);
    await quiet; // collected when nothing moved for a while
    expect(collected).toBe(2);
  } finally {
    pace.stop();
  }
});
