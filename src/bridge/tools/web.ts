/**
 * web:search through the Brave Search API (BRAVE_API_KEY), as upstream: arguments `query` and
 * `limit` (default 5, at most 20); output {query, results: [{title, url, snippet}], count}.
 * LOOM_WEB_SEARCH_URL points it at another endpoint of the same API (a proxy, or a test's fake).
 */
import { type Tool, ToolFailure } from "./tool-registry";
import { defineTool, z } from "./schema";

export const BRAVE_SEARCH_URL = "https://api.search.brave.com/res/v1/web/search";

export function webSearchTool(env: Record<string, string | undefined>): Tool {
  const endpoint = env.LOOM_WEB_SEARCH_URL || BRAVE_SEARCH_URL;
  return defineTool({
    name: "web:search",
    description: "Search the web for information using Brave Search",
    args: z.object({
      query: z.string({ error: "Missing 'query'" }).describe("Search query"),
      limit: z
        .int({ error: "'limit' must be a whole number" })
        .positive({ error: "'limit' must be above 0" })
        .optional()
        .describe("Maximum number of results (default: 5, max: 20)"),
    }),
    async call(args, signal) {
      const key = env.BRAVE_API_KEY;
      if (!key) throw new ToolFailure("failed", "BRAVE_API_KEY not configured. Set it in the environment or .env");
      const limit = Math.min(args.limit ?? 5, 20);
      const url = new URL(endpoint);
      url.searchParams.set("q", args.query);
      url.searchParams.set("count", String(limit));
      let response: Response;
      try {
        response = await fetch(url, { headers: { accept: "application/json", "x-subscription-token": key }, signal });
      } catch (e) {
        throw new ToolFailure("failed", `Search request failed: ${url.host} did not answer (${(e as Error).name})`);
      }
      const text = await response.text();
      if (!response.ok) throw new ToolFailure("failed", `Brave Search API error: ${response.status} - ${text.slice(0, 300)}`);
      let body: { web?: { results?: { title?: string; url?: string; description?: string }[] } };
      try {
        body = JSON.parse(text);
      } catch {
        throw new ToolFailure("failed", "Failed to parse search response");
      }
      const results = (body.web?.results ?? []).map((r) => ({ title: r.title ?? "", url: r.url ?? "", snippet: r.description ?? null }));
      return { query: args.query, results, count: results.length };
    },
  });
}
