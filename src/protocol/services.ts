/**
 * The loom.v1 service definitions, from loom.proto embedded in the executable (no file is read at
 * run time), parsed with protobufjs. The grpc-js definitions are made here rather than by
 * @grpc/proto-loader: its fromJSON also builds descriptor protos for reflection, which took 15 ms
 * of the embedded Bridge's start (measured with bench/bridge.ts's "exec to ready"); the
 * (de)serialisers are the same ones it makes (fromObject/encode, decode/toObject).
 */
import * as grpc from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { type BridgeConstructor, type MemoryServiceConstructor, typedBridge, typedMemoryService } from "./loom.generated";
import { CONVERSION, loomRoot } from "./messages";

export { CONVERSION } from "./messages";

/** Client constructors, typed by loom.generated.ts (scripts/gen-protocol.ts). */
export interface LoomV1 {
  Bridge: BridgeConstructor;
  MemoryService: MemoryServiceConstructor;
}

let requestBytes: ((n: number) => void) | undefined;

/** Tells `meter` the size of every request a server built from these definitions receives. */
export function onRequestBytes(meter: (n: number) => void): void {
  requestBytes = meter;
}

export function definition(service: protobuf.Service): grpc.ServiceDefinition {
  const methods: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    methods[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: (value) => Buffer.from(request.encode(request.fromObject(value)).finish()),
      requestDeserialize: (bytes) => {
        requestBytes?.(bytes.length);
        return request.toObject(request.decode(bytes), CONVERSION);
      },
      responseSerialize: (value) => Buffer.from(response.encode(response.fromObject(value)).finish()),
      responseDeserialize: (bytes) => response.toObject(response.decode(bytes), CONVERSION),
      originalName: method.name,
    };
  }
  return methods;
}

let loaded: LoomV1 | undefined;

/** The `loom.v1` services: client constructors, each with its definition as `.service`. */
export function loomV1(): LoomV1 {
  if (!loaded) {
    const root = loomRoot();
    const service = (name: string) => grpc.makeGenericClientConstructor(definition(root.lookupService(`loom.v1.${name}`)), name);
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
