/** loom as a library: the same modules the CLI uses. */
export * from "./config/index";
export * from "./binaries/index";
export { LoomError, EXIT, exitCodeOf, type ErrorCode } from "./errors";
export { initProject, type InitResult } from "./project/init";
export { LOOM_VERSION } from "./version";
export { runOrchestrator, type OrchestratorConfig, type OrchestratorEvent, type OrchestratorResult } from "./api/orchestrator";
export { startBridge, startCore, type RuntimeHandle, type RuntimeOptions } from "./api/start-runtime";
export { startEmbeddedBridge, type EmbeddedBridgeHandle, type EmbeddedBridgeOptions } from "./api/embedded";
// The TypeScript SDK, as agents import it from `loom:sdk` (docs/sdk.md), for programs that import the package.
export { Agent, Context, Envelope, ToolCallError, tool, type AgentOptions, type EmitOptions, type EventHandler, type Payload, type ToolSpec } from "./sdk/index";
