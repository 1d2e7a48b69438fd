/**
 * `grpc.health.v1.Health` on the embedded Bridge, so that Kubernetes' native gRPC probes (and
 * grpc-health-probe) can check it: `Check` answers SERVING for the whole server ("") and for
 * loom.v1.Bridge and loom.v1.MemoryService, NOT_FOUND for any other name; `Watch` sends the status
 * once (it does not change while the Bridge serves) and SERVICE_UNKNOWN for an unknown name, then
 * keeps the stream open until the client leaves, as the protocol asks.
 */
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { definition } from "../protocol/messages";
import source from "./health.proto" with { type: "text" };

export const SERVED = ["", "loom.v1.Bridge", "loom.v1.MemoryService"];

let service: grpc.ServiceDefinition | undefined;

/** The Health service's definition (a client constructor's `.service`). */
export function healthService(): grpc.ServiceDefinition {
  service ??= definition(protobuf.parse(source, { keepCase: true }).root.lookupService("grpc.health.v1.Health"));
  return service;
}

export function healthClient(): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(healthService(), "Health");
}

export function healthImplementation(): grpc.UntypedServiceImplementation {
  return {
    Check: (call: grpc.ServerUnaryCall<{ service?: string }, unknown>, reply: grpc.sendUnaryData<unknown>) => {
      const name = call.request.service ?? "";
      if (SERVED.includes(name)) reply(null, { status: "SERVING" });
      else reply({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(name)}` });
    },
    Watch: (call: grpc.ServerWritableStream<{ service?: string }, unknown>) => {
      call.write({ status: SERVED.includes(call.request.service ?? "") ? "SERVING" : "SERVICE_UNKNOWN" });
      call.on("cancelled", () => call.end());
    },
  };
}
