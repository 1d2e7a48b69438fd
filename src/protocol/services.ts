/**
 * The loom.v1 services as grpc-js clients want them (the definitions: messages.ts); the tests and
 * benches call the Bridge with them, which serves the same definitions (net/grpc-server.ts).
 */
import * as grpc from "@grpc/grpc-js";
import { type BridgeConstructor, type MemoryServiceConstructor, typedBridge, typedMemoryService } from "./loom.generated";
import { loomMethods } from "./messages";

/** Client constructors, typed by loom-clients.generated.ts (scripts/gen-protocol.ts). */
export interface LoomV1 {
  Bridge: BridgeConstructor;
  MemoryService: MemoryServiceConstructor;
}

let loaded: LoomV1 | undefined;

/** The `loom.v1` services: client constructors, each with its definition as `.service`. */
export function loomV1(): LoomV1 {
  if (!loaded) {
    const service = (name: "Bridge" | "MemoryService") => grpc.makeGenericClientConstructor(loomMethods(name), name);
    loaded = { Bridge: typedBridge(service("Bridge")), MemoryService: typedMemoryService(service("MemoryService")) };
  }
  return loaded;
}

/**
 * A unary call by the method's name, as `service` defines it (for what names its method at run
 * time: ctx.memory's MemoryService calls, tests that send what a typed client would refuse).
 * Rejects when the service has no such method.
 */
export function unaryByName<T = Record<string, unknown>>(
  client: grpc.Client,
  service: grpc.ServiceDefinition,
  method: string,
  request: unknown,
  options: grpc.CallOptions = {},
): Promise<T> {
  const def = Object.hasOwn(service, method) ? service[method] : undefined;
  if (!def) return Promise.reject(new Error(`the service has no method ${method}`));
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest<unknown, T>(def.path, def.requestSerialize, def.responseDeserialize, request, options, (e, r) => (e || r === undefined ? reject(e) : resolve(r))),
  );
}
