import { describe, expect, test } from "bun:test";
import { dialString, hostPort, joinHostPort, parseAddress } from "../../src/net/address";
import { LoomError } from "../../src/errors";

describe("bridge addresses, one parser", () => {
  test("host:port, IPv6 in brackets, a scheme for TLS, a Unix socket", () => {
    expect(parseAddress("127.0.0.1:50051")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 50051, tls: false });
    expect(parseAddress("[::1]:7")).toEqual({ kind: "tcp", host: "::1", port: 7, tls: false });
    expect(parseAddress("https://bridge.example.com:443")).toEqual({ kind: "tcp", host: "bridge.example.com", port: 443, tls: true });
    expect(parseAddress("unix:/run/x/bridge.sock")).toEqual({ kind: "unix", path: "/run/x/bridge.sock" });
    expect(dialString(parseAddress("[::1]:7")!)).toBe("[::1]:7");
    expect(joinHostPort("::1", 7)).toBe("[::1]:7");
  });

  test("what is not an address is refused, never a crash", () => {
    for (const bad of ["foo", "bad", "", ":50051", "host:", "host:99999", "unix:relative", "ftp://x:1", "a b:1", "[::1]"]) expect(parseAddress(bad), bad).toBeUndefined();
    expect(() => hostPort("foo", "--address")).toThrow(LoomError);
    expect(() => hostPort("unix:/x")).toThrow("is not host:port");
  });
});
