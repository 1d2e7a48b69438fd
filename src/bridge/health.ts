/**
 * `grpc.health.v1.Health` on the embedded Bridge, so that Kubernetes' native gRPC probes (and
 * grpc-health-probe) can check it: `Check` answers SERVING for the whole server ("") and for
 * loom.v1.Bridge and loom.v1.MemoryService, NOT_FOUND for any other name; `Watch` sends the status
 * once (it does not change while the Bridge serves) and SERVICE_UNKNOWN for an unknown name, then
 * keeps the stream open until the client leaves, as the protocol asks.
 */
import protobuf from "protobufjs";
import { type RpcHandlers, type RpcService, type ServerCall, Status, type StatusError } from "../net/grpc-server";
import { definition } from "../protocol/messages";
import source from "./health.proto" with { type: "text" };

export const SERVED = ["", "loom.v1.Bridge", "loom.v1.MemoryService"];

let service: RpcService | undefined;

/** The Health service's definition (grpc-js's makeGenericClientConstructor takes it for a client). */
export function healthService(): RpcService {
  service ??= definition(protobuf.parse(source, { keepCase: true }).root.lookupService("grpc.health.v1.Health"));
  return service;
}

export function healthImplementation(): RpcHandlers {
  return {
    Check: (call: ServerCall<{ service?: string }>, reply: (error: StatusError | null, value?: unknown) => void) => {
      const name = call.request.service ?? "";
      if (SERVED.includes(name)) reply(null, { status: "SERVING" });
      else reply({ code: Status.NOT_FOUND, details: `unknown service ${JSON.stringify(name)}` });
    },
    Watch: (call: ServerCall<{ service?: string }>) => {
      call.write({ status: SERVED.includes(call.request.service ?? "") ? "SERVING" : "SERVICE_UNKNOWN" });
      call.on("cancelled", () => call.end());
    },
  };
}
