import { describe, expect, test } from "bun:test";
import { hostOf, refuseHost, refusePeer } from "../../src/bridge/dashboard/guard";

describe("who may read the dashboard", () => {
  test("Host: the configured host, localhost or an IP literal, with any port; any other name is a rebinding page", () => {
    expect(hostOf("[::1]:3030")).toBe("::1");
    expect(hostOf("LocalHost:3030")).toBe("localhost");
    for (const h of ["127.0.0.1:3030", "localhost:3030", "[::1]:3030", "10.1.2.3", "dash.internal:80"]) expect(refuseHost(h, "dash.internal"), h).toBeUndefined();
    expect(refuseHost("rebind.attacker.example", "127.0.0.1")).toContain("DNS rebinding");
    expect(refuseHost("localhost.attacker.example:3030", "127.0.0.1")).toContain("DNS rebinding");
    expect(refuseHost(null, "127.0.0.1")).toContain("without a Host");
  });

  test("peer: the owner or root get in; another uid does not; an unknown loopback peer does not", () => {
    const me = process.getuid!();
    const options = { host: "127.0.0.1", port: 3030 };
    const peer = { address: "127.0.0.1", port: 40000 };
    expect(refusePeer(peer, options, () => me)).toBeUndefined();
    expect(refusePeer(peer, options, () => 0)).toBeUndefined();
    if (me !== 1001) expect(refusePeer(peer, options, () => 1001)).toContain("uid 1001");
    expect(refusePeer(peer, options, () => undefined)).toContain("cannot be told");
    expect(refusePeer({ address: "10.0.0.9", port: 4 }, { ...options, exposed: true }, () => undefined)).toBeUndefined();
  });
});
