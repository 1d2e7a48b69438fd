/**
 * The TypeScript SDK that agents run by loom import as `loom:sdk` (no npm install, no network:
 * launch/agent-files.ts writes it beside the agents' preload). Its declared types for editors are
 * src/sdk/loom-sdk.d.ts, checked against this module by src/sdk/declared.ts. docs/sdk.md.
 */
export { Agent, Context, ToolCallError, tool, type AgentOptions, type EmitOptions, type EventHandler, type ToolSpec } from "./agent";
export { Envelope, type Payload } from "./envelope";
export type { Memory, MemoryEntry, StateScope } from "./memory";
