import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { generate } from "../../scripts/gen-protocol";

test("the protocol's TypeScript types are the ones loom.proto gives (run `bun scripts/build.ts` after changing it)", () => {
  for (const [path, text] of Object.entries(generate())) expect({ path, text: readFileSync(path, "utf8") }).toEqual({ path, text });
});

test("the generated types follow the decoding: scalars present, a oneof says which member is set", () => {
  const text = Object.values(generate()).join("\n");
  expect(text).toContain("export interface ToolResult {\n  id: string;\n  status: ToolStatus;");
  expect(text).toContain('  msg?: "delivery" | "pong" | "err" | "tool_call";');
  expect(text).toContain("EventStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<ClientEventInit, ServerEvent>;");
});
