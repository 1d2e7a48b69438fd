/**
 * `startBridge({ port })` and `startCore({ dashboardPort })`, as upstream's Python SDK has them: the
 * runtime alone (no agents), supervised as `loom up` supervises it (restarted if it crashes,
 * stopped with its descendants), in a private temporary project unless `projectDir` is given. The
 * handle is returned once the runtime answers its Heartbeat (and, for the Core, its dashboard).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "pathe";
import type { RuntimeChoice } from "../config/types";
import { EXIT } from "../errors";
import { prepare } from "../launch/prepare";
import { runSupervised } from "../launch/run-supervised";
import type { Supervisor } from "../supervisor/supervisor";
import { dashboardUrl, type OrchestratorEvent } from "./orchestrator";

export interface RuntimeOptions {
  /** The project whose loom.toml and .loom/ to use; a private temporary one by default. */
  projectDir?: string;
  /** "auto" (a native binary when one can be had, else the embedded Bridge), "native", "embedded". */
  runtime?: Exclude<RuntimeChoice, "remote">;
  /** The runtime version to fetch when it is not built or cached ("latest" by default). */
  version?: string;
  onEvent?: (event: OrchestratorEvent) => void;
  env?: Record<string, string | undefined>;
}

export interface RuntimeHandle {
  /** host:port of the Bridge. */
  address: string;
  dashboard?: string;
  /** Stops the runtime; resolves with loom's exit code. */
  stop(): Promise<number>;
  /** Settles with loom's exit code when the runtime has stopped (asked, or given up on). */
  done: Promise<number>;
}

async function startRuntime(mode: "full" | "bridge-only", ports: { bridgePort?: number; dashboardPort?: number }, o: RuntimeOptions): Promise<RuntimeHandle> {
  const temporary = o.projectDir ? undefined : mkdtempSync(join(tmpdir(), "loom-runtime-"));
  const projectDir = o.projectDir ?? temporary!;
  const cleanup = () => temporary && rmSync(temporary, { recursive: true, force: true });
  try {
    const prepared = await prepare({ projectDir, withAgents: false, mode, runtime: o.runtime, runtimeVersion: o.version, ...ports, env: o.env });
    for (const message of prepared.warnings) o.onEvent?.({ level: "warn", message });
    const started = Promise.withResolvers<Supervisor>();
    const done = runSupervised(prepared, {
      printOutput: false,
      handleSignals: false,
      onEvent: (level, message) => o.onEvent?.({ level, message }),
      onStarted: (sup) => started.resolve(sup),
    }).finally(cleanup);
    done.catch((e) => started.reject(e));
    const sup = await started.promise;
    return {
      address: prepared.endpoints.bridge,
      dashboard: dashboardUrl(prepared),
      done,
      stop: async () => {
        await sup.stop("SIGTERM", EXIT.ok);
        return done;
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** The Bridge alone (bridge-only mode) on `port` (0: a free one). */
export function startBridge(options: RuntimeOptions & { port?: number } = {}): Promise<RuntimeHandle> {
  return startRuntime("bridge-only", { bridgePort: options.port ?? 0 }, options);
}

/** The Core (the Bridge and the dashboard) with its dashboard on `dashboardPort` (0: a free one). */
export function startCore(options: RuntimeOptions & { port?: number; dashboardPort?: number } = {}): Promise<RuntimeHandle> {
  return startRuntime("full", { bridgePort: options.port ?? 0, dashboardPort: options.dashboardPort ?? 0 }, options);
}
