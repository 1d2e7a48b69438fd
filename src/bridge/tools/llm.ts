/**
 * llm:generate against the OpenAI-compatible provider the runtime is given (VLLM_BASE_URL,
 * VLLM_MODEL, VLLM_API_KEY, VLLM_TEMPERATURE, REQUEST_TIMEOUT_MS; defaults as upstream's, see
 * docs/runtime-contract.md). Arguments as upstream declares them: `input` (required), and a
 * `bundle` whose `system` and `instructions`, when given, are sent instead; output {text, model, provider, usage}. The key is sent only to VLLM_BASE_URL and
 * never appears in an error.
 */
import { type Tool, ToolFailure } from "./tool-registry";
import { defineTool, z } from "./schema";

export function llmTool(env: Record<string, string | undefined>): Tool {
  const base = (env.VLLM_BASE_URL || "http://localhost:8000/v1").replace(/\/+$/, "");
  const model = env.VLLM_MODEL || "qwen2.5-0.5b-instruct";
  const temperature = Number(env.VLLM_TEMPERATURE ?? "0.7");
  const timeoutMs = Number(env.REQUEST_TIMEOUT_MS ?? "30000");
  return defineTool({
    name: "llm:generate",
    description: "Generate text using an LLM",
    args: z.object({
      input: z.string({ error: "missing field `input`" }).describe("Input text or instructions"),
      bundle: z.looseObject({ system: z.string().optional(), instructions: z.string().optional() }).optional().describe("Full prompt bundle (optional)"),
      budget: z.looseObject({}).optional().describe("Token budget (optional)"),
    }),
    async call({ input, bundle }, signal) {
      const messages = [...(bundle?.system ? [{ role: "system", content: bundle.system }] : []), { role: "user", content: bundle?.instructions ?? input }];
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (env.VLLM_API_KEY) headers.authorization = `Bearer ${env.VLLM_API_KEY}`;
      let response: Response;
      try {
        response = await fetch(`${base}/chat/completions`, {
          method: "POST",
          headers,
          body: JSON.stringify({ model, messages, temperature: Number.isFinite(temperature) ? temperature : 0.7 }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 30_000)]),
        });
      } catch (e) {
        throw new ToolFailure("failed", `LLM generation failed: ${base} did not answer (${(e as Error).name})`);
      }
      const text = await response.text();
      if (!response.ok) throw new ToolFailure("failed", `LLM generation failed: ${base} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
      let body: { choices?: { message?: { content?: string } }[]; model?: string; usage?: unknown };
      try {
        body = JSON.parse(text);
      } catch {
        throw new ToolFailure("failed", `LLM generation failed: ${base} answered something that is not JSON`);
      }
      return { text: body.choices?.[0]?.message?.content ?? "", model: body.model ?? model, provider: "openai-compatible", usage: body.usage ?? null };
    },
  });
}
