import { describe, expect, test } from "bun:test";
import { EventBus, type Sink } from "../../src/bridge/bus";
import { STALLED_STREAM_MS, STREAM_QUEUE, STREAM_QUEUE_BYTES, SUBSCRIPTION_QUEUE, TOTAL_QUEUE_BYTES } from "../../src/bridge/limits";

/** A stream end that takes what it is given, or stops taking until `drain()`. */
function sink(accepting = true) {
  const got: unknown[] = [];
  let drain = () => {};
  let failed: string | undefined;
  const s: Sink & { got: unknown[]; open(): void; failed(): string | undefined; accepting: boolean } = {
    got,
    accepting,
    write(message, done) {
      got.push(message);
      queueMicrotask(done);
      return s.accepting;
    },
    onDrain(listener) {
      drain = listener;
    },
    fail(_code, message) {
      failed = message;
    },
    open() {
      s.accepting = true;
      drain();
    },
    failed: () => failed,
  };
  return s;
}

const topics = (s: { got: unknown[] }) => s.got.map((m) => (m as { delivery: { topic: string } }).delivery.topic);

describe("delivery", () => {
  test("each matching subscription gets its own delivery, naming its pattern; no match, no delivery", () => {
    const bus = new EventBus();
    const a = sink();
    const b = sink();
    bus.open("a", ["probe.x", "probe.*"], a);
    bus.open("b", ["other"], b);
    expect(bus.publish("probe.x", { id: "1" }, 10)).toBeUndefined();
    expect(topics(a)).toEqual(["probe.x", "probe.*"]);
    expect(b.got).toEqual([]);
    bus.publish("probe", { id: "2" }, 10); // `probe.*` does not match the bare `probe`
    expect(a.got).toHaveLength(2);
    expect(bus.stats).toMatchObject({ published: 2, delivered: 2 });
  });

  test("a full subscriber makes its publisher wait, and nothing is lost; others are not held up", async () => {
    const bus = new EventBus();
    const slow = sink(false);
    const quick = sink();
    bus.open("slow", ["t"], slow);
    bus.open("quick", ["u"], quick);
    const limit = STREAM_QUEUE + SUBSCRIPTION_QUEUE;
    let wait: Promise<void> | undefined;
    let sent = 0;
    while (!wait) wait = bus.publish("t", { n: sent++ }, 100);
    expect(sent).toBe(limit + 1); // one written before the sink said stop, then the queue filled
    expect(bus.publish("u", { n: 0 }, 100)).toBeUndefined(); // a publisher to a stream with room goes on
    let released = false;
    void wait.then(() => (released = true));
    await Bun.sleep(5);
    expect(released).toBe(false);
    slow.open();
    await wait;
    expect(released).toBe(true);
    expect(slow.got.length).toBeGreaterThan(limit / 2);
    while (slow.got.length < sent) {
      slow.open();
      await Bun.sleep(0);
    }
    expect((slow.got as { delivery: { event: { n: number } } }[]).map((m) => m.delivery.event.n)).toEqual([...Array(sent).keys()]);
    expect(bus.stats.waits).toBe(1);
  });

  test("bytes bound a stream's queue and all queues together", () => {
    const bus = new EventBus();
    const stuck = sink(false);
    bus.open("stuck", ["t"], stuck);
    const big = 1024 * 1024;
    let n = 0;
    while (!bus.publish("t", {}, big)) n++;
    expect(n * big).toBeLessThanOrEqual(STREAM_QUEUE_BYTES + 2 * big);
    const many = Array.from({ length: 20 }, (_, i) => bus.open(`s${i}`, ["all"], sink(false)));
    expect(many).toHaveLength(20);
    let waited = false;
    for (let i = 0; i < 200 && !waited; i++) waited = bus.publish("all", {}, big) !== undefined;
    expect(waited).toBe(true);
    expect(bus.totalBytes).toBeLessThanOrEqual(TOTAL_QUEUE_BYTES + 21 * big);
  });

  test("a stream full and taking nothing past STALLED_STREAM_MS is cut off; its publisher goes on", async () => {
    let now = 0;
    const bus = new EventBus(() => now);
    const dead = sink(false);
    const stream = bus.open("dead", ["t"], dead);
    let wait: Promise<void> | undefined;
    while (!wait) wait = bus.publish("t", {}, 1024 * 1024);
    now += STALLED_STREAM_MS - 1;
    bus.cutStalled();
    expect(dead.failed()).toBeUndefined();
    now += 1;
    bus.cutStalled();
    expect(dead.failed()).toContain("stopped reading");
    expect(stream.closed).toBe(true);
    await wait;
    expect(bus.totalBytes).toBe(0);
    expect(bus.stats.stalled).toBe(1);
  });
});

describe("replicas that share the work (delivery = shared)", () => {
  const ids = (s: { got: unknown[] }) => s.got.map((m) => (m as { delivery: { event: { id: string } } }).delivery.event.id);

  test("each event goes to one stream of the id, in turn; other ids still get every event", () => {
    const bus = new EventBus();
    bus.shared = new Set(["worker"]);
    const replicas = [sink(), sink(), sink()];
    for (const r of replicas) bus.open("worker", ["jobs.*"], r);
    const watcher = sink();
    bus.open("watcher", ["jobs.*"], watcher);
    for (let i = 0; i < 9; i++) bus.publish("jobs.x", { id: String(i) }, 10);
    expect(replicas.map(ids)).toEqual([
      ["0", "3", "6"],
      ["1", "4", "7"],
      ["2", "5", "8"],
    ]);
    expect(ids(watcher)).toHaveLength(9);
  });

  test("a full replica is passed over while another has room; one that leaves, the rest take over", () => {
    const bus = new EventBus();
    bus.shared = new Set(["worker"]);
    const slow = sink(false);
    const fast = sink();
    const a = bus.open("worker", ["jobs"], slow);
    bus.open("worker", ["jobs"], fast);
    for (let i = 0; i < STREAM_QUEUE + SUBSCRIPTION_QUEUE + 10; i++) bus.publish("jobs", { id: String(i) }, 10);
    expect(ids(fast).length).toBeGreaterThan(ids(slow).length);
    bus.close(a);
    const before = ids(fast).length;
    bus.publish("jobs", { id: "after" }, 10);
    expect(ids(fast)).toHaveLength(before + 1);
  });
});
