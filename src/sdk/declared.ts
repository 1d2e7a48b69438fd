/**
 * Type-level check (run by `tsc --noEmit` in npm test): the SDK's implementation provides what
 * loom-sdk.d.ts, the file editors see, declares.
 */
import type * as Declared from "loom:sdk";
import type * as Implemented from "./index";

type Provides<D, I extends D> = I;
export type Checked = [
  Provides<typeof Declared.Agent, typeof Implemented.Agent>,
  Provides<Declared.Envelope, Implemented.Envelope>,
  Provides<typeof Declared.tool, typeof Implemented.tool>,
  Provides<Declared.ToolCallError, Implemented.ToolCallError>,
  Provides<Declared.Context, Implemented.Context>,
  Provides<Implemented.AgentOptions, Declared.AgentOptions>,
  Provides<Declared.Memory, Implemented.Memory>,
];
