import { loomCommand } from "../command";
import { projectRoot } from "../../config/root";
import { LoomError } from "../../errors";
import type { SpanData } from "../../telemetry/spans";
import { formatNs, spanLabel, traceRows, waterfallOrder } from "../../telemetry/trace-view";
import { neutralize } from "../../logs/printer";
import { liveProjectStatus } from "../../status/project";
import { jsonArg, projectArg } from "../shared-args";

const what = (s: SpanData) => neutralize(spanLabel(s));

/** The spans of one trace as a tree, each line its offset, duration and status (as Jaeger lays them out). */
function waterfall(spans: SpanData[]): string[] {
  const start = Math.min(...spans.map((s) => s.start_time));
  return waterfallOrder(spans).map(({ span: s, depth }) => {
    const status = s.status === "error" ? `  ERROR ${neutralize(s.error_message ?? "")}` : "";
    return `${`+${formatNs(s.start_time - start)}`.padStart(12)} ${formatNs(s.duration).padStart(10)}  ${"  ".repeat(depth)}${what(s)}${status}`;
  });
}

/** `--follow`: the dashboard's span stream (`event: spans` batches), a line (or a JSON object) per span. */
async function follow(url: string, json: boolean, only?: string): Promise<void> {
  const response = await fetch(url).catch((e: Error) => {
    throw new LoomError("PROCESS", `the dashboard did not answer: ${e.message}`, { hint: "is the runtime running? `loom status`" });
  });
  let buffered = "";
  for await (const chunk of response.body ?? []) {
    buffered += new TextDecoder().decode(chunk);
    let end = buffered.indexOf("\n\n");
    for (; end >= 0; end = buffered.indexOf("\n\n")) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = /^event: spans\ndata: (.*)$/s.exec(frame)?.[1];
      if (!data) continue;
      for (const s of JSON.parse(data) as SpanData[])
        if (!only || s.trace_id === only)
          process.stdout.write(json ? `${JSON.stringify(s)}\n` : `${s.trace_id}  ${formatNs(s.duration).padStart(10)}  ${s.status === "error" ? "error" : "ok   "}  ${what(s)}\n`);
    }
  }
}

export default loomCommand({
  meta: {
    name: "traces",
    description: "List the running project's recent traces (from its dashboard), or show one as a waterfall",
    examples: ["loom traces", "loom traces 4bf92f3577b34da6a3ce929d0e0e4736", "loom traces --json --limit 5"],
  },
  args: {
    ...projectArg,
    ...jsonArg,
    trace: { type: "positional", required: false, description: "A trace id (32 hex digits): its spans as a waterfall", valueHint: "TRACE_ID" },
    limit: { type: "string", alias: "n", description: "How many traces to list (default 20)", valueHint: "N" },
    follow: { type: "boolean", alias: "f", description: "Then print each new span as it ends, until Ctrl+C" },
  },
  async run({ args }) {
    const limit = args.limit === undefined ? 20 : Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new LoomError("USAGE", `--limit must be a whole number of at least 1, not "${args.limit}"`);
    if (args.trace !== undefined && !/^[0-9a-fA-F]{32}$/.test(args.trace))
      throw new LoomError("USAGE", `a trace id is 32 hex digits, not "${args.trace}"`, { hint: "`loom traces` lists them" });
    const status = await liveProjectStatus(projectRoot(args.project ?? process.cwd()));
    if (!status.running || !status.dashboard)
      throw new LoomError("PROCESS", status.running ? "this project serves no dashboard, where its traces are kept" : `loom is not running in ${status.root}`, {
        hint: status.running ? "traces need the embedded Bridge in full mode with [dashboard] enabled" : "`loom up` or `loom run` first",
      });
    const get = async (path: string) => {
      const response = await fetch(`${status.dashboard}${path}`).catch((e: Error) => {
        throw new LoomError("PROCESS", `the dashboard at ${status.dashboard} did not answer: ${e.message}`, { hint: "is the runtime running? `loom status`" });
      });
      if (!response.ok) throw new LoomError("PROCESS", `the dashboard at ${status.dashboard} answered HTTP ${response.status}`);
      return (await response.json()) as SpanData[];
    };
    if (args.follow) return follow(`${status.dashboard}/api/spans/stream`, args.json === true, args.trace?.toLowerCase());
    if (args.trace) {
      const spans = await get(`/api/traces/${args.trace.toLowerCase()}`);
      if (args.json) return void process.stdout.write(`${JSON.stringify(spans, null, 2)}\n`);
      if (!spans.length) throw new LoomError("PROCESS", `no span of trace ${args.trace} is kept (the Bridge keeps the latest 10,000)`);
      return void process.stdout.write(`${["      OFFSET   DURATION  SPAN", ...waterfall(spans)].join("\n")}\n`);
    }
    const rows = traceRows(await get("/api/spans/recent?limit=1000")).slice(0, limit);
    if (args.json)
      return void process.stdout.write(
        `${JSON.stringify(
          rows.map((r) => ({
            trace_id: r.id,
            root: r.root.name,
            started: new Date(r.startNs / 1e6).toISOString(),
            duration_ms: (r.endNs - r.startNs) / 1e6,
            spans: r.spans,
            errors: r.errors,
          })),
          null,
          2,
        )}\n`,
      );
    if (!rows.length) return void process.stdout.write("no traces yet: they appear as agents publish and call tools\n");
    const lines = rows.map(
      (r) =>
        `${r.id}  ${new Date(r.startNs / 1e6).toISOString().slice(11, 23)}  ${formatNs(r.endNs - r.startNs).padStart(10)}  ${String(r.spans).padStart(5)}  ${r.errors ? "error" : "ok   "}  ${what(r.root)}`,
    );
    process.stdout.write(`${["TRACE                             STARTED       DURATION  SPANS  STATUS ROOT", ...lines].join("\n")}\n`);
  },
});
