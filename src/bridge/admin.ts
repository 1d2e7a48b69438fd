/**
 * `loom.embedded.v1.Admin`: what loom itself asks its own embedded Bridge over the owner's socket,
 * beside the Bridge protocol (agents never see it; upstream has no such service). `Topology`
 * answers which agents are registered and connected, so `loom run --wait-agents` knows with or
 * without the dashboard. JSON on the wire: a generic grpc-js service, no .proto needed.
 */
import type * as grpc from "@grpc/grpc-js";
import { ADMIN_TOPOLOGY_PATH } from "../constants";

import type { Topology } from "./dashboard/source";

export type { AgentView, Topology } from "./dashboard/source";

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value ?? {})),
  deserialize: (bytes: Buffer) => {
    try {
      return JSON.parse(bytes.toString("utf8") || "{}");
    } catch {
      return {};
    }
  },
};

export const ADMIN_SERVICE: grpc.ServiceDefinition = {
  Topology: {
    path: ADMIN_TOPOLOGY_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

/** The Admin service answering from `topology`. */
export function adminImplementation(topology: () => Topology): grpc.UntypedServiceImplementation {
  return { Topology: (_call: unknown, reply: grpc.sendUnaryData<Topology>) => reply(null, topology()) };
}
