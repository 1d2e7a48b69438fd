/**
 * The loom.v1 service definitions, from loom.proto embedded in the executable (no file is read at
 * run time): parsed with protobufjs, turned into grpc-js definitions by @grpc/proto-loader.
 */
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import source from "./loom.proto" with { type: "text" };

const OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

let loaded: grpc.GrpcObject | undefined;

export interface LoomV1 {
  Bridge: grpc.ServiceClientConstructor;
  MemoryService: grpc.ServiceClientConstructor;
}

/** The `loom.v1` package: the service constructors and their definitions. */
export function loomV1(): LoomV1 {
  if (!loaded) {
    const root = protobuf.parse(source as unknown as string, { keepCase: true }).root;
    loaded = grpc.loadPackageDefinition(fromJSON(root.toJSON(), OPTIONS));
  }
  return (loaded.loom as grpc.GrpcObject).v1 as unknown as LoomV1;
}
