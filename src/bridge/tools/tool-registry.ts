/**
 * The embedded Bridge's tool registry: what ForwardToolCall calls. Failures are an OK gRPC answer
 * whose ToolResult carries upstream's status and error code (docs/runtime-contract.md "Tools"):
 * unknown tool TOOL_NOT_FOUND/NOT_FOUND, arguments that are not a JSON object
 * TOOL_INVALID_ARGUMENTS/INVALID_ARGUMENTS, past the deadline TOOL_TIMEOUT/TIMEOUT, anything else
 * TOOL_ERROR/EXECUTION_ERROR. Empty arguments mean `{}` (upstream refuses them; the SDK sends them).
 */
import { MAX_TOOL_OUTPUT_BYTES } from "../limits";
import { serdeJsonError } from "./json-error";

export type ToolStatus = "TOOL_OK" | "TOOL_ERROR" | "TOOL_TIMEOUT" | "TOOL_NOT_FOUND" | "TOOL_INVALID_ARGUMENTS";

export interface WireToolResult {
  id: string;
  status: ToolStatus;
  output: string;
  error: { code: string; message: string; details: Record<string, string> } | null;
}

export type Args = Record<string, unknown>;

export interface Tool {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: object;
  /** Resolves with the tool's output (JSON-serialisable); `signal` aborts at the call's deadline. */
  call(args: Args, signal: AbortSignal): Promise<unknown>;
}

type FailureKind = "not_found" | "invalid" | "denied" | "failed" | "timeout";

/** A tool's failure, with upstream's wording ("Tool not found: x", "Permission denied: ..."). */
export class ToolFailure extends Error {
  /** `exact`: `detail` is the whole message (upstream's own wording, like serde's for bad JSON). */
  constructor(
    readonly kind: FailureKind,
    detail: string,
    exact = false,
  ) {
    super(
      exact
        ? detail
        : kind === "not_found"
          ? `Tool not found: ${detail}`
          : kind === "invalid"
            ? `Invalid arguments: ${detail}`
            : kind === "denied"
              ? `Permission denied: ${detail}`
              : kind === "timeout"
                ? "Timeout"
                : `Execution failed: ${detail}`,
    );
  }
}

const STATUS: Record<FailureKind, [ToolStatus, string]> = {
  not_found: ["TOOL_NOT_FOUND", "NOT_FOUND"],
  invalid: ["TOOL_INVALID_ARGUMENTS", "INVALID_ARGUMENTS"],
  timeout: ["TOOL_TIMEOUT", "TIMEOUT"],
  denied: ["TOOL_ERROR", "EXECUTION_ERROR"],
  failed: ["TOOL_ERROR", "EXECUTION_ERROR"],
};

export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

export function failure(id: string, error: ToolFailure): WireToolResult {
  const [status, code] = STATUS[error.kind];
  return { id, status, output: "", error: { code, message: error.message, details: {} } };
}

export function parseArguments(text: string): Args {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // Upstream answers serde_json's own message, unprefixed (its bridge passes e.to_string()).
    throw new ToolFailure("invalid", serdeJsonError(text) || (e as Error).message, true);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ToolFailure("invalid", "the arguments must be a JSON object");
  return value as Args;
}

/** Runs `work` with an AbortSignal that fires at `timeoutMs`; past it, a TIMEOUT failure. */
export async function withDeadline<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ToolFailure("timeout", ""));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export class ToolRegistry {
  readonly tools = new Map<string, Tool>();
  /** Tool families still starting (an MCP server's `<server>:`), each resolved when it is ready. */
  private readonly starting = new Map<string, Promise<unknown>>();
  /** Tool families that failed to start, with why; and those that started. */
  private readonly failed = new Map<string, Error>();
  readonly started = new Set<string>();

  register(tool: Tool): void {
    this.tools.set(tool.name, tool);
  }

  /** `prefix` (like "files:") names tools that will exist once `ready` settles. */
  startingFamily(prefix: string, ready: Promise<unknown>): void {
    this.starting.set(prefix, ready);
    ready
      .then(() => this.started.add(prefix))
      .catch((e: Error) => this.failed.set(prefix, e))
      .finally(() => this.starting.delete(prefix));
  }

  /** Whether the registry answers for `name` (a tool, or a family still starting). */
  serves(name: string): boolean {
    return this.tools.has(name) || this.pendingFor(name) !== undefined || this.failedFor(name) !== undefined;
  }

  private pendingFor(name: string): Promise<unknown> | undefined {
    for (const [prefix, ready] of this.starting) if (name.startsWith(prefix)) return ready;
    return undefined;
  }

  private failedFor(name: string): Error | undefined {
    for (const [prefix, error] of this.failed) if (name.startsWith(prefix)) return error;
    return undefined;
  }

  async call(id: string, name: string, argumentsText: string, timeoutMs = DEFAULT_TOOL_TIMEOUT_MS): Promise<WireToolResult> {
    try {
      const args = parseArguments(argumentsText);
      const output = await withDeadline(timeoutMs, async (signal) => {
        const pending = this.pendingFor(name);
        if (!this.tools.has(name) && pending) await pending.catch(() => {});
        const tool = this.tools.get(name);
        if (!tool) throw this.failedFor(name) ?? new ToolFailure("not_found", name);
        return tool.call(args, signal);
      });
      const text = JSON.stringify(output ?? null);
      // The reply must fit one gRPC message (4 MB) with room for its envelope.
      if (text.length > MAX_TOOL_OUTPUT_BYTES || Buffer.byteLength(text) > MAX_TOOL_OUTPUT_BYTES)
        throw new ToolFailure("failed", `the output of ${name} is ${Buffer.byteLength(text)} bytes as JSON, over the ${MAX_TOOL_OUTPUT_BYTES}-byte limit of a reply`);
      return { id, status: "TOOL_OK", output: text, error: null };
    } catch (e) {
      return failure(id, e instanceof ToolFailure ? e : new ToolFailure("failed", (e as Error).message ?? String(e)));
    }
  }
}
