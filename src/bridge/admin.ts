/**
 * `loom.embedded.v1.Admin`: what loom itself asks its own embedded Bridge over the owner's socket,
 * beside the Bridge protocol (agents never see it; upstream has no such service). `Topology`
 * answers which agents are registered and connected, so `loom run --wait-agents` knows with or
 * without the dashboard. JSON on the wire: a service defined here, no .proto needed.
 */
import type { RpcHandlers, RpcService, StatusError } from "../net/grpc-server";
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

export const ADMIN_SERVICE: RpcService = {
  Topology: {
    path: ADMIN_TOPOLOGY_PATH,
    requestStream: false,
    responseStream: false,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
  },
};

/** The Admin service answering from `topology`. */
export function adminImplementation(topology: () => Topology): RpcHandlers {
  return { Topology: (_call: unknown, reply: (error: StatusError | null, value: Topology) => void) => reply(null, topology()) };
}
