/**
 * The page's metrics over the last minutes (docs/dashboard.md "Metrics"): the Bridge's counters
 * sampled every SAMPLE_MS, the last SAMPLES kept (15 minutes), so a page opened now draws what
 * happened before it was opened. A fixed number of small samples: nothing a caller can grow.
 */
import type { BridgeMetrics } from "./metrics";
import type { DashboardSource } from "./source";

const SAMPLE_MS = 5_000;
const SAMPLES = 180;

export interface Sample {
  at: number;
  published: number;
  delivered: number;
  dropped: number;
  tools: number;
  toolErrors: number;
  agents: number;
  queuedBytes: number;
}

export class MetricsHistory {
  private readonly kept: Sample[] = [];

  /** `metrics`: the Bridge's counters (metrics.ts), which count the tool calls already. */
  constructor(
    private readonly source: DashboardSource,
    private readonly metrics: BridgeMetrics,
  ) {
    this.take();
    setInterval(() => this.take(), SAMPLE_MS).unref?.();
  }

  private take(): void {
    const { stats, totalBytes } = this.source.bus;
    const tools = this.metrics.toolTotals();
    this.kept.push({
      at: Date.now(),
      published: stats.published,
      delivered: stats.delivered,
      dropped: stats.dropped ?? 0,
      tools: tools.calls,
      toolErrors: tools.errors,
      agents: this.source.topology().agents.filter((a) => a.connected).length,
      queuedBytes: totalBytes,
    });
    if (this.kept.length > SAMPLES) this.kept.shift();
  }

  /** The samples, oldest first, and one taken now (so the last point is current). */
  samples(): Sample[] {
    this.take();
    const out = [...this.kept];
    this.kept.pop();
    return out;
  }
}
