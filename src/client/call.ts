/**
 * `loom call`: one ForwardToolCall to a Bridge, native or embedded (docs/runtime-contract.md
 * "Bridge protocol"). A tool's failure is an OK gRPC answer whose ToolResult.status says so; only
 * an unreachable Bridge is a gRPC error.
 */
import { explainGrpc } from "./grpc-error";
import { randomUUID } from "node:crypto";
import type * as grpc from "@grpc/grpc-js";
import { loomV1 } from "../bridge/proto";
import type { WireToolResult } from "../bridge/tools/registry";
import { LoomError } from "../errors";
import { type BridgeTarget, credentialsFor } from "./address";

interface ToolClient extends grpc.Client {
  ForwardToolCall(req: unknown, options: grpc.CallOptions, done: (e: grpc.ServiceError | null, r: WireToolResult) => void): void;
}

export async function callTool(target: BridgeTarget, name: string, argumentsJson: string, timeoutMs: number): Promise<WireToolResult> {
  const { Bridge } = loomV1();
  const address = target.address;
  const client = new Bridge(address, credentialsFor(target)) as unknown as ToolClient;
  try {
    // The gRPC deadline leaves the Bridge time to answer TOOL_TIMEOUT itself.
    const deadline = new Date(Date.now() + timeoutMs + 5_000);
    return await new Promise<WireToolResult>((resolve, reject) =>
      client.ForwardToolCall({ id: randomUUID(), name, arguments: argumentsJson, timeout_ms: timeoutMs, headers: {} }, { deadline }, (e, r) =>
        e ? reject(new LoomError("PROCESS", `cannot call ${name} on the Bridge at ${address}: ${explainGrpc(e)}`, { hint: "is it running? `loom ping`" })) : resolve(r),
      ),
    );
  } finally {
    client.close();
  }
}
