import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { GENERATED, generate } from "../../scripts/gen-protocol";

test("the protocol's TypeScript types are the ones loom.proto gives (run `bun scripts/build.ts` after changing it)", () => {
  expect(readFileSync(GENERATED, "utf8")).toBe(generate());
});

test("the generated types follow the decoding: scalars present, a oneof says which member is set", () => {
  const text = generate();
  expect(text).toContain("export interface ToolResult {\n  id: string;\n  status: ToolStatus;");
  expect(text).toContain('  msg?: "delivery" | "pong" | "err" | "tool_call";');
  expect(text).toContain("EventStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<ClientEventInit, ServerEvent>;");
});
