/// <reference lib="dom" />
/** The page's metrics over the last minutes: `/api/loom/history`'s samples as rates, one line each. */
import type { Sample } from "../history";
import { $, el } from "./dom";

const CHARTS: { label: string; value: (a: Sample, b: Sample) => number; unit: string; bad?: boolean }[] = [
  { label: "events/s", value: (a, b) => (b.published - a.published) / ((b.at - a.at) / 1000 || 1), unit: "/s" },
  { label: "deliveries/s", value: (a, b) => (b.delivered - a.delivered) / ((b.at - a.at) / 1000 || 1), unit: "/s" },
  { label: "tool calls/s", value: (a, b) => (b.tools - a.tools) / ((b.at - a.at) / 1000 || 1), unit: "/s" },
  { label: "tool errors/s", value: (a, b) => (b.toolErrors - a.toolErrors) / ((b.at - a.at) / 1000 || 1), unit: "/s", bad: true },
  { label: "dropped/s", value: (a, b) => (b.dropped - a.dropped) / ((b.at - a.at) / 1000 || 1), unit: "/s", bad: true },
  { label: "agents", value: (_a, b) => b.agents, unit: "" },
];
const SVG = "http://www.w3.org/2000/svg";

/** Draws the charts from `samples` (oldest first). */
export function renderCharts(samples: Sample[]): void {
  const rows = CHARTS.map((c) => {
    const values = samples.slice(1).map((b, i) => c.value(samples[i]!, b));
    const max = Math.max(1e-9, ...values);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${Math.max(1, values.length - 1)} 100`);
    svg.setAttribute("preserveAspectRatio", "none");
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", values.map((v, i) => `${i},${(100 - (95 * v) / max).toFixed(1)}`).join(" "));
    svg.append(line);
    const last = values.at(-1) ?? 0;
    return el(
      "div",
      { class: `chart${c.bad && last > 0 ? " bad" : ""}`, "data-chart": c.label },
      el("span", {}, c.label),
      svg,
      el("span", {}, `${Number(last.toFixed(2))}${c.unit}`),
    );
  });
  $("#chart-list").replaceChildren(...rows);
}
