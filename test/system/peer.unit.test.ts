import { describe, expect, test } from "bun:test";
import { canonicalIp, decodeProcAddress, isLoopback, parseProcNet, tcpPeerUid } from "../../src/system/peer";

// Two ends of one loopback connection (client 127.0.0.1:40000 of uid 1001 -> server :50051 of uid 0),
// the server's listener, and an IPv6 connection of uid 1000.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:C383 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:9C40 0100007F:C383 01 00000000:00000000 00:00000000 00000000  1001        0 2 1
   2: 0100007F:C383 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 3 1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:9C41 00000000000000000000000001000000:0BB8 01 00000000:00000000 00:00000000 00000000  1000        0 4 1
`;
const read = (path: string) => (path.endsWith("6") ? TCP6 : TCP);

describe("the owner of a loopback peer", () => {
  test("addresses as /proc prints them", () => {
    expect(decodeProcAddress("0100007F")).toBe("127.0.0.1");
    expect(decodeProcAddress("00000000000000000000000001000000")).toBe("0:0:0:0:0:0:0:1");
    expect(decodeProcAddress("0000000000000000FFFF00000100007F")).toBe("127.0.0.1");
    expect(canonicalIp("::1")).toBe("0:0:0:0:0:0:0:1");
    expect(canonicalIp("[::ffff:127.0.0.1]")).toBe("127.0.0.1");
    expect(parseProcNet(TCP)).toHaveLength(3);
  });

  test("the uid of the peer's socket, found by both ends of the connection; unknown is undefined", () => {
    const server = { address: "127.0.0.1", port: 50051 };
    expect(tcpPeerUid(server, { address: "127.0.0.1", port: 40000 }, read)).toBe(1001);
    expect(tcpPeerUid({ address: "::1", port: 3000 }, { address: "::1", port: 40001 }, read)).toBe(1000);
    expect(tcpPeerUid({ address: "0.0.0.0", port: 50051 }, { address: "127.0.0.1", port: 40000 }, read)).toBe(1001);
    expect(tcpPeerUid(server, { address: "127.0.0.1", port: 40002 }, read)).toBeUndefined();
    expect(tcpPeerUid(server, { address: "10.0.0.5", port: 40000 }, read)).toBeUndefined();
  });

  test("this process's own connection is found as its own uid", async () => {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
    try {
      const uid = tcpPeerUid({ address: "127.0.0.1", port: server.port }, { address: "127.0.0.1", port: client.localPort });
      expect(uid).toBe(process.platform === "linux" ? process.getuid!() : undefined);
    } finally {
      client.end();
      server.stop(true);
    }
  });

  test("loopback is 127/8 and ::1", () => {
    for (const a of ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopback(a)).toBe(true);
    for (const a of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "fe80::1"]) expect(isLoopback(a)).toBe(false);
  });
});
