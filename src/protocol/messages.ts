/**
 * loom.proto's messages and methods, from the .proto embedded in the executable (no file is read
 * at run time), parsed with protobufjs. The method definitions are made here rather than by
 * @grpc/proto-loader: its fromJSON also builds descriptor protos for reflection, which took 15 ms
 * of the embedded Bridge's start (measured with bench/bridge.ts's "exec to ready"); the
 * (de)serialisers are the same ones it makes (fromObject/encode, decode/toObject). Nothing here
 * loads grpc-js: the SDK and the CLI's clients speak through client/h2-grpc.ts with these alone;
 * services.ts makes grpc-js's clients from them.
 */
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import source from "./loom.proto" with { type: "text" };

/** What a message looks like in JavaScript: field names as in the .proto, enums by name. */
export const CONVERSION: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

let root: protobuf.Root | undefined;

/** The parsed loom.proto (once per process). */
export function loomRoot(): protobuf.Root {
  root ??= protobuf.parse(source, { keepCase: true }).root;
  return root;
}

/** The `loom.v1` message named `name`. */
export function messageType(name: string): protobuf.Type {
  return loomRoot().lookupType(`loom.v1.${name}`);
}

let requestBytes: ((n: number) => void) | undefined;

/** Tells `meter` the size of every request a server built from these definitions receives. */
export function onRequestBytes(meter: (n: number) => void): void {
  requestBytes = meter;
}

/** A service's methods with their (de)serialisers, as grpc-js and client/h2-grpc.ts take them. */
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

const methods = new Map<string, grpc.ServiceDefinition>();

/** The methods of `loom.v1.<service>` (once per process). */
export function loomMethods(service: "Bridge" | "MemoryService"): grpc.ServiceDefinition {
  const found = methods.get(service) ?? definition(loomRoot().lookupService(`loom.v1.${service}`));
  methods.set(service, found);
  return found;
}
