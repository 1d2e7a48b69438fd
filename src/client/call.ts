/**
 * `loom call`: one ForwardToolCall to a Bridge, native or embedded (docs/runtime-contract.md
 * "Bridge protocol"). A tool's failure is an OK gRPC answer whose ToolResult.status says so; only
 * an unreachable Bridge is a gRPC error.
 */
import { LoomError } from "../errors";
import type { ToolResult } from "../protocol/loom.generated";
import type { BridgeTarget } from "./address";
import { wireMethod } from "../protocol/wire";
import { H2Client } from "./h2-grpc";

export async function callTool(target: BridgeTarget, name: string, argumentsJson: string, timeoutMs: number): Promise<ToolResult> {
  const client = new H2Client(target);
  try {
    // The call's deadline leaves the Bridge time to answer TOOL_TIMEOUT itself.
    const request = { id: crypto.randomUUID(), name, arguments: argumentsJson, timeout_ms: timeoutMs, headers: {} };
    return await client.unary(wireMethod<ToolResult>("Bridge", "ForwardToolCall")!, request, timeoutMs + 5_000);
  } catch (e) {
    throw new LoomError("PROCESS", `cannot call ${name} on the Bridge at ${target.address}: ${(e as Error).message}`, { hint: "is it running? `loom ping`" });
  } finally {
    client.close();
  }
}
