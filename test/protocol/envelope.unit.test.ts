import { describe, expect, test } from "bun:test";
import { envelopeMetadata } from "../../src/protocol/envelope";

describe("the envelope of a published event", () => {
  test("what the publisher left out is filled as upstream's bus does; a missing reply_to is the publisher's replies topic", () => {
    expect(envelopeMetadata({ id: "e1" }, "planner", 1234)).toEqual({
      thread_id: "e1",
      correlation_id: "e1",
      sender: "",
      reply_to: "agent.planner.replies",
      ttl: "16",
      hop: "0",
      ts: "1234",
    });
  });

  test("what it gave is kept (numbers as they parse); the SDK's loom.* keys pass untouched", () => {
    const meta = envelopeMetadata(
      { id: "e2", metadata: { thread_id: "t", sender: "agent.x", reply_to: "r", ttl: "3", hop: "2", ts: "99", "loom.reply_to": "agent.x.replies", trace_id: "abc" } },
      "x",
      1,
    );
    expect(meta).toMatchObject({
      thread_id: "t",
      correlation_id: "t",
      sender: "agent.x",
      reply_to: "r",
      ttl: "3",
      hop: "2",
      ts: "99",
      "loom.reply_to": "agent.x.replies",
      trace_id: "abc",
    });
    expect(envelopeMetadata({ id: "e3", metadata: { ttl: "many", hop: "-1", ts: "soon" } }, "x", 7)).toMatchObject({ ttl: "16", hop: "0", ts: "7" });
  });
});
