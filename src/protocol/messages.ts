/**
 * loom.proto's methods as the embedded Bridge serves them (net/grpc-server.ts) and grpc-js calls
 * them, and its messages parsed with protobufjs (from the .proto embedded in the executable) for
 * what still wants reflection: other services' definitions (the health service), tests comparing
 * codecs. loom's own methods (de)serialise
 * with protocol/wire.ts, from tables generated from the .proto, where protobufjs generated its
 * codecs at run time on each message's first use: 14 ms of the embedded Bridge's first event
 * (docs/benchmarks.md, "A new project's first answer") and its parse at every start. wire.ts
 * reads and writes what protobufjs does with CONVERSION (test/protocol/wire.unit.test.ts).
 * Nothing here loads grpc-js (its types only): services.ts makes grpc-js's clients from these.
 */
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import source from "./loom.proto" with { type: "text" };
import { decode, encode } from "./wire";
import { WIRE_METHODS } from "./wire.generated";

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

/** The methods of `loom.v1.<service>`, with wire.ts's (de)serialisers (once per process). */
export function loomMethods(service: "Bridge" | "MemoryService"): grpc.ServiceDefinition {
  const found = methods.get(service) ?? wireDefinition(service);
  methods.set(service, found);
  return found;
}

function wireDefinition(service: "Bridge" | "MemoryService"): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [name, [request, response, requestStream, responseStream]] of Object.entries(WIRE_METHODS[service]!))
    out[name] = {
      path: `/loom.v1.${service}/${name}`,
      requestStream,
      responseStream,
      requestSerialize: (value) => encode(request, value),
      requestDeserialize: (bytes) => {
        requestBytes?.(bytes.length);
        return decode(request, bytes);
      },
      responseSerialize: (value) => encode(response, value),
      responseDeserialize: (bytes) => decode(response, bytes),
      originalName: name,
    };
  return out;
}
