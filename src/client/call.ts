/**
 * `loom call`: one ForwardToolCall to a Bridge, native or embedded (docs/runtime-contract.md
 * "Bridge protocol"). A tool's failure is an OK gRPC answer whose ToolResult.status says so; only
 * an unreachable Bridge is a gRPC error.
 */
import { explainGrpc } from "./grpc-error";
import { randomUUID } from "node:crypto";
import type { ToolResult } from "../protocol/loom.generated";
import { loomV1 } from "../protocol/services";
import { LoomError } from "../errors";
import { type BridgeTarget, credentialsFor } from "./address";

export async function callTool(target: BridgeTarget, name: string, argumentsJson: string, timeoutMs: number): Promise<ToolResult> {
  const { Bridge } = loomV1();
  const address = target.address;
  const client = new Bridge(address, credentialsFor(target));
  try {
    // The gRPC deadline leaves the Bridge time to answer TOOL_TIMEOUT itself.
    const deadline = new Date(Date.now() + timeoutMs + 5_000);
    return await new Promise<ToolResult>((resolve, reject) =>
      client.ForwardToolCall({ id: randomUUID(), name, arguments: argumentsJson, timeout_ms: timeoutMs, headers: {} }, { deadline }, (e, r) =>
        e ? reject(new LoomError("PROCESS", `cannot call ${name} on the Bridge at ${address}: ${explainGrpc(e)}`, { hint: "is it running? `loom ping`" })) : resolve(r!),
      ),
    );
  } finally {
    client.close();
  }
}
