import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { addressArg, projectArg, secondsArg } from "../shared-args";
import { EXIT } from "../../errors";

export default loomCommand({
  meta: {
    name: "call",
    description: "Call a Bridge tool (ForwardToolCall) and print its result; exits 5 when the tool answers an error",
    examples: ["loom call fs:list_dir", 'loom call fs:read_file \'{"path": "README.md"}\'', 'loom call llm:generate \'{"input": "hello"}\' --timeout 60'],
  },
  args: {
    ...projectArg,
    tool: { type: "positional", required: true, description: "Tool name, like fs:read_file or <mcp server>:<tool>", valueHint: "TOOL" },
    arguments: { type: "positional", required: false, description: "Arguments as a JSON object, or - to read them from stdin (default {})", valueHint: "JSON|-" },
    timeout: { type: "string", description: "Seconds the tool may take (default 30)", valueHint: "S" },
    json: { type: "boolean", description: "Print the whole ToolResult as JSON" },
    ...addressArg,
  },
  async run({ args }) {
    const timeout = secondsArg("timeout", args.timeout, 30);
    const text = args.arguments === "-" ? await Bun.stdin.text() : (args.arguments ?? "{}");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text || "{}");
    } catch {
      throw new LoomError("USAGE", `the arguments are not JSON: ${text.slice(0, 60)}`, { hint: `quote them: loom call ${args.tool} '{"path": "README.md"}'` });
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new LoomError("USAGE", 'the arguments must be a JSON object, like \'{"path": "README.md"}\'');
    const { bridgeTarget } = await import("../../client/address");
    const { callTool } = await import("../../client/call");
    const target = await bridgeTarget(args.project ?? process.cwd(), args.address);
    const result = await callTool(target, args.tool, JSON.stringify(parsed), Math.round(timeout * 1000));
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.status !== "TOOL_OK") {
      process.stderr.write(`loom call ${args.tool}: ${result.status}${result.error?.code ? ` (${result.error.code})` : ""}: ${result.error?.message ?? "no message"}\n`);
      return EXIT.problems;
    }
    if (args.json) return EXIT.ok;
    let output = result.output;
    try {
      output = JSON.stringify(JSON.parse(result.output), null, 2);
    } catch {}
    process.stdout.write(`${output}\n`);
    return EXIT.ok;
  },
});
