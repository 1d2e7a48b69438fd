/**
 * The floor of bench/bridge.ts, in its own process like the Bridges it is compared with: a grpc-js
 * server with the Bridge's service definitions whose stream passes every publish to every other
 * stream as a delivery. The same wire and library, none of the Bridge's logic.
 */
import * as grpc from "@grpc/grpc-js";
import { loomV1 } from "../src/protocol/services";

const { Bridge } = loomV1();
const server = new grpc.Server();
const streams = new Set<grpc.ServerDuplexStream<Record<string, unknown>, unknown>>();
server.addService(Bridge.service, {
  RegisterAgent: (_c: unknown, done: grpc.sendUnaryData<unknown>) => done(null, { success: true }),
  Heartbeat: (_c: unknown, done: grpc.sendUnaryData<unknown>) => done(null, { status: "ok" }),
  EventStream: (call: grpc.ServerDuplexStream<Record<string, unknown>, unknown>) => {
    streams.add(call);
    call.on("data", (m: Record<string, unknown>) => {
      if (m.msg !== "publish") return;
      const p = m.publish as { topic: string; event: unknown };
      for (const s of streams) if (s !== call) s.write({ delivery: { topic: p.topic, event: p.event } });
    });
    call.on("end", () => {
      streams.delete(call);
      call.end();
    });
  },
});
server.bindAsync(process.env.LOOM_BRIDGE_ADDR!, grpc.ServerCredentials.createInsecure(), () => console.log("echo ready"));
