/**
 * `loom __bridge`: the embedded Bridge as its own supervised process, reading the runtime's
 * environment as the native one does, with loom's additions (docs/embedded-bridge.md):
 * - LOOM_BRIDGE_ADDR: an IP literal and port (else exit 1), 127.0.0.1:50051 when unset (upstream
 *   binds 0.0.0.0); a non-loopback address needs LOOM_BRIDGE_EXPOSE=1, the explicit opt-in.
 * - LOOM_BRIDGE_SOCKET: the Unix socket the agents loom starts connect to (listen.ts).
 * - LOOM_DASHBOARD=true adds the dashboard (dashboard/) on LOOM_DASHBOARD_HOST and _PORT.
 * - LOOM_SHARED_AGENTS: the agent ids whose replicas share the work (bus.ts).
 * - LOOM_MEMORY_DB, LOOM_MEMORY_MAX_BYTES: the memory store (memory-db.ts); in memory when unset.
 * - LOOM_TRACE_CONTENT=1: llm:generate's `chat` span keeps the prompt and completion, bounded and scrubbed.
 * - LOOM_TRACES=off: no spans (spans.ts); they are on by default, and kept in LOOM_TRACES_DB
 *   (span-db.ts) within LOOM_TRACES_MAX_BYTES and LOOM_TRACES_MAX_AGE_MS. LOOM_OTLP_ENDPOINT and
 *   LOOM_OTLP_PROTOCOL: a collector spans and metrics are forwarded to (otlp-export.ts), every
 *   OTEL_METRIC_EXPORT_INTERVAL ms for metrics.
 * SIGTERM and SIGINT end it even as PID 1 of a container, where the kernel ignores a signal that
 * has no handler.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { serveDashboard } from "./dashboard/server";
import { PAGEOUT_AFTER_MS } from "../constants";
import { envStrings } from "../config/env/env-number";
import { joinHostPort, parseAddress } from "../net/address";
import { releaseFilePages } from "../system/libc";
import { isLoopback } from "../system/peer";
import { BridgeMetrics } from "./dashboard/metrics";
import { exportTelemetry, otlpProtocol } from "./otlp-export";
import { liveProjectStatus } from "../status/project";
import { EmbeddedBridge } from "./server";
import { SpanDb } from "../telemetry/span-db";
import { memoryFromEnv } from "./memory-db";
import { rememberSecretsOf } from "../config/env/secrets";
import type { LoomError } from "../errors";
import { builtinTools } from "./tools";

export const DEFAULT_EMBEDDED_ADDRESS = "127.0.0.1:50051";

/** Why the Bridge may not listen on `host` (`shown` as the message names it): anyone who reaches it would have its tools and events. */
export function refuseListen(host: string, exposed: boolean, shown = host): string | undefined {
  if (isLoopback(host) || exposed) return undefined;
  return `${shown} is not a loopback address: anyone who reaches it could call the Bridge's tools (files, shell) and read every event`;
}

/** Ends the process with loom's documented codes: 2 for a setting that is wrong, 4 for a listener it cannot have (docs/supervision.md). */
function fail(message: string, code: 2 | 4 = 2): never {
  console.error(`loom embedded Bridge: ${message}`);
  process.exit(code);
}

/**
 * The environment with what the supervisor handed over standard input (LOOM_PRIVATE_ENV=stdin:
 * its secrets, kept out of /proc/<pid>/environ; launch/process-plan.ts). Read once, at start.
 */
export function withPrivateEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (env.LOOM_PRIVATE_ENV !== "stdin") return env;
  let handed: unknown;
  try {
    handed = JSON.parse(readFileSync(0, "utf8") || "{}");
  } catch {
    fail("LOOM_PRIVATE_ENV=stdin, but standard input is not a JSON object of variables");
  }
  if (!handed || typeof handed !== "object" || Array.isArray(handed)) fail("LOOM_PRIVATE_ENV=stdin, but standard input is not a JSON object of variables");
  const strings = Object.entries(handed as Record<string, unknown>).filter(([, v]) => typeof v === "string") as [string, string][];
  // Into this process's own variables too (a proxy for llm:generate's fetch): /proc/<pid>/environ
  // shows only what the process was started with, and children get chosen variables only.
  for (const [key, value] of strings) process.env[key] = value;
  return { ...env, ...Object.fromEntries(strings) };
}

/**
 * The trace history in LOOM_TRACES_DB (span-db.ts), written out at exit. One that cannot be
 * opened (damaged, another user's) is named and left as it is; spans are then kept in memory only.
 */
function keepHistory(bridge: EmbeddedBridge, env: Record<string, string | undefined>): void {
  try {
    const db = new SpanDb(env.LOOM_TRACES_DB!, {
      maxBytes: Number(env.LOOM_TRACES_MAX_BYTES) || 64 * 1024 * 1024,
      maxAgeMs: Number(env.LOOM_TRACES_MAX_AGE_MS) || 7 * 86_400_000,
    });
    bridge.spans.persist(db);
    process.on("exit", () => db.close());
  } catch (e) {
    const hint = (e as LoomError).hint;
    console.error(`loom embedded Bridge: warning: ${(e as Error).message}${hint ? ` (${hint})` : ""}; traces are kept in memory only`);
  }
}

export async function runEmbeddedBridge(env: Record<string, string | undefined> = process.env): Promise<void> {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)
    process.on(signal, () => process.exit(code));
  const address = env.LOOM_BRIDGE_ADDR || DEFAULT_EMBEDDED_ADDRESS;
  const parsed = parseAddress(address);
  if (parsed?.kind !== "tcp" || !isIP(parsed.host) || address.includes("://")) fail(`invalid LOOM_BRIDGE_ADDR ${JSON.stringify(address)}: an IP address and port are needed`);
  const exposed = env.LOOM_BRIDGE_EXPOSE === "1" || env.LOOM_BRIDGE_EXPOSE === "true";
  const dashboardHost = env.LOOM_DASHBOARD_HOST ?? "127.0.0.1";
  const dashboardOn = env.LOOM_DASHBOARD === "true";
  for (const [what, host] of [["LOOM_BRIDGE_ADDR", parsed.host], ...(dashboardOn ? [["LOOM_DASHBOARD_HOST", dashboardHost]] : [])] as const) {
    const refused = refuseListen(host, exposed, `${what} ${host}`);
    if (refused) fail(`${refused}; set LOOM_BRIDGE_EXPOSE=1 to listen there anyway`);
  }
  if (exposed) console.error("loom embedded Bridge: warning: exposed (LOOM_BRIDGE_EXPOSE): other hosts can connect, without TLS; other local users still cannot");
  // The working directory is the project root: the fs:* tools' workspace, as upstream's.
  const log = (line: string) => console.error(`loom embedded Bridge: ${line}`);
  // One memory store for the memory:* tools and upstream's MemoryService (memory-db.ts).
  const memory = memoryFromEnv(env, log);
  const bridge = new EmbeddedBridge(builtinTools(process.cwd(), env, log, memory), envStrings(env.LOOM_SHARED_AGENTS), () => memory.opened());
  process.on("exit", () => {
    try {
      bridge.memory.flush();
    } catch {}
    memory.close();
  });
  if (env.LOOM_TRACES === "off") bridge.spans.enabled = false;
  else if (env.LOOM_TRACES_DB) keepHistory(bridge, env);
  if (env.LOOM_TRACE_CONTENT === "1") {
    bridge.captureContent = true;
    rememberSecretsOf(env); // what a prompt must never carry into a span: the values of *_KEY, *_TOKEN, ...
  }
  const metrics = BridgeMetrics.follow(bridge, env);
  if (env.LOOM_OTLP_ENDPOINT) {
    const target = {
      endpoint: env.LOOM_OTLP_ENDPOINT,
      protocol: otlpProtocol(env.LOOM_OTLP_PROTOCOL),
      service: env.OTEL_SERVICE_NAME || "loom-bridge",
      warn: (line: string) => console.error(`loom embedded Bridge: ${line}`),
    };
    const families = async () => {
      const status = await liveProjectStatus(process.cwd()).catch(() => undefined);
      return metrics.families(bridge, bridge.mcpServersActive(), status?.running ? status : undefined);
    };
    exportTelemetry(bridge.spans, target, families, Number(env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000);
  }
  let port = parsed.port;
  try {
    port = await bridge.listen({
      tcp: parsed,
      unix: env.LOOM_BRIDGE_SOCKET || undefined,
      exposed,
      onRefused: (who) => console.error(`loom embedded Bridge: refused a connection from ${who}: only the project's owner may use the Bridge`),
    });
  } catch (error) {
    fail(
      `cannot listen: ${(error as Error).message}${/EADDRINUSE|in use/i.test((error as Error).message) ? " (another Bridge there? choose another address with LOOM_BRIDGE_ADDR or --address)" : ""}`,
      4,
    );
  }
  console.log(`loom embedded Bridge: listening on ${joinHostPort(parsed.host, port)}${env.LOOM_BRIDGE_SOCKET ? ` and unix:${env.LOOM_BRIDGE_SOCKET}` : ""}`);
  // As the supervisor does: the start-up code's pages of the executable go back to the kernel;
  // what serving uses is faulted back in (system/libc.ts).
  setTimeout(() => releaseFilePages(), PAGEOUT_AFTER_MS).unref();
  if (dashboardOn) {
    let dash: ReturnType<typeof serveDashboard>;
    try {
      dash = serveDashboard(bridge, { host: dashboardHost, port: Number(env.LOOM_DASHBOARD_PORT ?? 3030), exposed, env, metrics });
    } catch (error) {
      fail(`the dashboard cannot listen on ${dashboardHost}:${env.LOOM_DASHBOARD_PORT ?? 3030}: ${(error as Error).message} (set LOOM_DASHBOARD_PORT, or LOOM_DASHBOARD=false)`, 4);
    }
    console.log(`loom embedded Bridge: dashboard on http://${dash.hostname}:${dash.port}`);
  }
}
