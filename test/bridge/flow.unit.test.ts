/** The flow tracker behind /api/flow stays bounded in bytes however many topics and ids a caller invents. */
import { describe, expect, test } from "bun:test";
import { EVENT_BUS, FlowTracker } from "../../src/bridge/dashboard/flow";
import { MAX_FLOW_BYTES, MAX_TOPIC_BYTES } from "../../src/bridge/limits";

describe("FlowTracker", () => {
  test("10,000 distinct 1 KB topics from 1,000 publishers: /api/flow's answer stays within about its byte bound", () => {
    const flow = new FlowTracker(() => 1_000);
    for (let i = 0; i < 10_000; i++) {
      const topic = `${i}-${"t".repeat(MAX_TOPIC_BYTES - 8)}`;
      flow.record(`agent-${i % 1_000}`, EVENT_BUS, topic);
      flow.record(EVENT_BUS, `agent-${(i + 1) % 1_000}`, topic);
    }
    const answer = JSON.stringify(flow.snapshot());
    expect(answer.length).toBeLessThan(2 * MAX_FLOW_BYTES); // the bound counts text, the answer adds JSON's keys
    expect(flow.snapshot().flows.length).toBeGreaterThan(0); // the latest are kept
  });
});
