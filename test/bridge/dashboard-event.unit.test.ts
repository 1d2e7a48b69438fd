/** The dashboard's events in upstream's DashboardEvent shape, where a client compares them field by field. */
import { expect, test } from "bun:test";
import { dashboardEvent } from "../../src/bridge/dashboard/server";

test('an event whose envelope names no sender has sender "" (upstream writes a string, never null)', () => {
  const event = { id: "e1", type: "t", payload: new Uint8Array(), metadata: {} } as never;
  const delivered = dashboardEvent({ kind: "delivered", topic: "a.b", pattern: "a.*", to: "x", event, at: 0 });
  expect(delivered).toMatchObject({ event_type: "event_delivered", sender: "", to: "x" });
  const published = dashboardEvent({ kind: "published", topic: "a.b", from: "pub", event, at: 0 });
  expect(published.sender).toBe("pub");
});
