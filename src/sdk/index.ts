/**
 * The TypeScript SDK that agents run by loom import as `loom:sdk` (no npm install, no network:
 * launch/agent-files.ts writes it beside the agents' preload). Its types for editors are emitted
 * from this source when loom is compiled (bundle.ts `sdkDeclarations`). docs/sdk.md.
 */
export { Agent, Context, ToolCallError, tool, type AgentOptions, type EmitOptions, type EventHandler, type ToolSpec } from "./agent";
export { Envelope, type Payload } from "./envelope";
export type { Memory, MemoryEntry, StateScope } from "./memory";
