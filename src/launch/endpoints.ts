/**
 * Where the runtime listens, computed once before anything starts and never changed after: the
 * Bridge's address (an IP literal, its port picked when `--bridge-port 0`), the dashboard's, the
 * embedded Bridge's agent socket, or a remote Bridge. The loaded configuration is never mutated:
 * `withEndpoints` gives a new one with them in it (the supervisor's, and every replan's).
 */
import { socketPath } from "../files/socket-path";
import type { BridgeMode, ProjectConfig, RuntimeChoice } from "../config/types";
import type { RemoteBridge } from "../config/remote";
import { BRIDGE_SOCKET, STATE_DIR } from "../constants";
import { LoomError } from "../errors";
import { BRIDGE_DEFAULTS, DASHBOARD_DEFAULTS } from "../config/defaults";
import { hostPort, joinHostPort } from "../net/address";
import { freePort, ipAddress, portHolder, tryListen } from "../net/ports";
import { isLoopback } from "../system/peer";

export interface Endpoints {
  /** host:port with an IP literal (LOOM_BRIDGE_ADDR), or the remote Bridge's host:port. */
  bridge: string;
  bridgePort: number;
  mode: BridgeMode;
  dashboardPort: number;
  /** The embedded Bridge's Unix socket for the agents (bridge/listen.ts). */
  socket?: string;
  /** Agents against a Bridge elsewhere: no local runtime, no dashboard. */
  remote?: RemoteBridge;
}

const DEFAULT_BRIDGE_PORT = hostPort(BRIDGE_DEFAULTS.address).port;

/** What the command line overrides of loom.toml. */
export interface Overrides {
  mode?: BridgeMode;
  runtimeVersion?: string;
  runtime?: RuntimeChoice;
}

/** `project` with the command line's overrides: a new configuration, the loaded one untouched. */
export function withOverrides(project: ProjectConfig, o: Overrides): ProjectConfig {
  const bridge = { ...project.config.bridge };
  if (o.mode) bridge.mode = o.mode;
  if (o.runtimeVersion) bridge.version = o.runtimeVersion;
  if (o.runtime) bridge.runtime = o.runtime;
  return { ...project, config: { ...project.config, bridge } };
}

/** `project` with the endpoints in its configuration (what the runtime and the agents are given). */
export function withEndpoints(project: ProjectConfig, e: Endpoints): ProjectConfig {
  const { config } = project;
  return Object.freeze({
    ...project,
    config: Object.freeze({
      ...config,
      bridge: Object.freeze({ ...config.bridge, address: e.bridge, mode: e.mode }),
      dashboard: Object.freeze({ ...config.dashboard, port: e.dashboardPort, ...(e.remote ? { enabled: false } : {}) }),
    }),
  });
}

/**
 * A Bridge or dashboard on a non-loopback address is reachable by anyone who reaches the host: it
 * needs `[bridge] expose = true` (docs/security.md), and then gets a warning naming the risk.
 */
function assertLoopback(config: ProjectConfig["config"], dashboardOn: boolean, warnings: string[]): void {
  const exposed: string[] = [];
  const bridgeHost = hostPort(config.bridge.address).host;
  if (!isLoopback(bridgeHost)) exposed.push(`the Bridge (${config.bridge.address})`);
  if (dashboardOn && !isLoopback(config.dashboard.host) && config.dashboard.host !== "localhost") exposed.push(`the dashboard (${config.dashboard.host}:${config.dashboard.port})`);
  if (exposed.length === 0) return;
  const risk = "anyone who can reach this machine could call the Bridge's tools (read and write the project's files, run the allowed commands) and read every event, without TLS";
  if (!config.bridge.expose)
    throw new LoomError("CONFIG", `${exposed.join(" and ")} would listen on a non-loopback address: ${risk}`, {
      hint: 'listen on 127.0.0.1 ([bridge] address = "127.0.0.1:50051", [dashboard] host = "127.0.0.1"), or set `expose = true` under [bridge] if that is what you want (then keep the ports behind a firewall)',
    });
  warnings.push(`${exposed.join(" and ")} listen on a non-loopback address ([bridge] expose = true): ${risk}; other local users are still refused by the embedded Bridge`);
}

async function assertPortFree(what: string, host: string, port: number, fix: string): Promise<void> {
  try {
    await tryListen(host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const holder = code === "EADDRINUSE" ? portHolder(port) : undefined;
    throw new LoomError("PROCESS", `${what} port ${port} on ${host} is ${code === "EADDRINUSE" ? "already in use" : `not available (${code})`}${holder ? ` by ${holder}` : ""}`, {
      hint: `stop that process, or ${fix}`,
    });
  }
}

/**
 * The port to listen on when loom.toml asks for `port`: 0 is a free one, as `--bridge-port 0`;
 * the default port (50051, 3030), when taken, moves to the next free one and says so, as Vite's
 * dev server does, so that a second project runs beside the first with its defaults (its clients
 * find it through its ledger); any other port is the user's choice, and a taken one is an error.
 */
async function configuredPort(what: string, host: string, port: number, byDefault: number, warnings: string[]): Promise<{ port: number; checked: boolean }> {
  if (port === 0) return { port: await freePort(host), checked: true };
  if (port !== byDefault) return { port, checked: false };
  for (let next = port; next < port + 100 && next < 65536; next++) {
    const free = await tryListen(host, next).then(
      () => true,
      () => false,
    );
    if (!free) continue;
    if (next !== port) {
      const holder = portHolder(port);
      warnings.push(`${what}'s default port ${port} is in use${holder ? ` by ${holder}` : ""}: using ${next} (loom pub, sub, call and ping here find it)`);
    }
    return { port: next, checked: true };
  }
  return { port, checked: false }; // none free nearby: the check below names the holder
}

/**
 * The local runtime's endpoints: ports checked free or picked, the address resolved to an IP
 * literal, non-loopback refused without `expose`.
 */
export async function localEndpoints(project: ProjectConfig, o: { bridgePort?: number; dashboardPort?: number }, warnings: string[]): Promise<Endpoints> {
  const { config } = project;
  const bridge = hostPort(config.bridge.address, "[bridge] address");
  let bridgeChecked = o.bridgePort === 0;
  if (o.bridgePort !== undefined) bridge.port = o.bridgePort === 0 ? await freePort(bridge.host) : o.bridgePort;
  else ({ port: bridge.port, checked: bridgeChecked } = await configuredPort("the Bridge", bridge.host, bridge.port, DEFAULT_BRIDGE_PORT, warnings));
  if (!bridgeChecked)
    await assertPortFree("the bridge", bridge.host, bridge.port, "pick another with --bridge-port N ([bridge] address in loom.toml), or --bridge-port 0 for a free one");
  const address = await ipAddress(joinHostPort(bridge.host, bridge.port));
  const dashboardOn = config.bridge.mode === "full" && config.dashboard.enabled;
  let dashboardPort = o.dashboardPort === 0 ? await freePort(config.dashboard.host) : (o.dashboardPort ?? config.dashboard.port);
  let dashboardChecked = o.dashboardPort === 0;
  if (dashboardOn && o.dashboardPort === undefined)
    ({ port: dashboardPort, checked: dashboardChecked } = await configuredPort("the dashboard", config.dashboard.host, dashboardPort, DASHBOARD_DEFAULTS.port, warnings));
  assertLoopback({ ...config, bridge: { ...config.bridge, address }, dashboard: { ...config.dashboard, port: dashboardPort } }, dashboardOn, warnings);
  if (dashboardOn && !dashboardChecked)
    await assertPortFree(
      "the dashboard",
      config.dashboard.host,
      dashboardPort,
      "pick another with [dashboard] port in loom.toml (0: a free one), or `loom run`/`loom up` --dashboard-port N",
    );
  return { bridge: address, bridgePort: bridge.port, mode: config.bridge.mode, dashboardPort };
}

/** The embedded Bridge's agent socket (files/socket-path.ts); none when no private path is short enough. */
export function bridgeSocket(root: string, warnings: string[]): string | undefined {
  const path = socketPath(root, STATE_DIR, BRIDGE_SOCKET, { create: true });
  if (!path)
    warnings.push("the agents reach the Bridge over loopback TCP: no private directory gives a Unix socket path short enough (set XDG_RUNTIME_DIR or TMPDIR to a short directory)");
  return path;
}
