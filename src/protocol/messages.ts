/**
 * loom.proto's messages as protobufjs types, from the .proto embedded in the executable (no file is
 * read at run time). Without grpc-js: loom's short-lived clients (client/h2-grpc.ts) encode and
 * decode with these alone; services.ts builds grpc-js's definitions from the same root.
 */
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
