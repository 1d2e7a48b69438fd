import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { projectArg } from "../shared-args";
import { join } from "pathe";
import { MEMORY_DB, STATE_DIR, TRACES_DB } from "../../constants";
import { privateDir } from "../../files/private";
import { log } from "../log";

/**
 * The dashboard's variables as upstream's binary reads them: LOOM_DASHBOARD, LOOM_DASHBOARD_HOST
 * and LOOM_DASHBOARD_PORT from the environment win; with no loom.toml there is no dashboard unless
 * LOOM_DASHBOARD=true, as upstream's.
 */
function upstreamDashboardVars(env: Record<string, string | undefined>, hasToml: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.LOOM_DASHBOARD !== undefined) out.LOOM_DASHBOARD = env.LOOM_DASHBOARD;
  else if (!hasToml) out.LOOM_DASHBOARD = "false";
  for (const key of ["LOOM_DASHBOARD_HOST", "LOOM_DASHBOARD_PORT"] as const) if (env[key] !== undefined) out[key] = env[key]!;
  return out;
}

/**
 * The memory store and the trace history in the project's `.loom/`, as under `loom run` (in a
 * container: /app/.loom, kept for the container's life; docs/cluster.md says how to keep them
 * longer). A `.loom/` that cannot be made private leaves both in memory, said once.
 */
function stateFiles(root: string, env: Record<string, string | undefined>): Record<string, string> {
  try {
    const dir = privateDir(join(root, STATE_DIR), "loom's state directory");
    return { LOOM_MEMORY_DB: env.LOOM_MEMORY_DB ?? join(dir, MEMORY_DB), LOOM_TRACES_DB: env.LOOM_TRACES_DB ?? join(dir, TRACES_DB) };
  } catch (e) {
    log.warn(`${(e as Error).message}: memory and traces are kept in memory only`);
    return {};
  }
}

export default loomCommand({
  meta: {
    name: "serve",
    description:
      "Serve the embedded Bridge in the foreground, configured by the project's loom.toml and .env, and upstream's LOOM_BRIDGE_ADDR and LOOM_DASHBOARD* variables over them (for a container: SIGTERM stops it, even as PID 1); no agents, no supervisor",
    examples: ["loom serve", "loom serve --config /etc/loom/loom.toml --address 0.0.0.0:50051 --expose"],
  },
  args: {
    ...projectArg,
    address: { type: "string", description: "Where to listen (default: [bridge] address); an IP address, 0.0.0.0 for every interface", valueHint: "HOST:PORT" },
    expose: { type: "boolean", description: "Listen on a non-loopback address on purpose (other hosts can connect, without TLS; limit who can with the network)" },
  },
  async run({ args }) {
    const { loadProjectConfig } = await import("../../config/load");
    const { toEnvVars } = await import("../../config/env/env-vars");
    const { ipAddress } = await import("../../net/ports");
    const { hostPort, parseAddress } = await import("../../net/address");
    const { refuseListen, runEmbeddedBridge } = await import("../../bridge/main");
    const project = await loadProjectConfig(args.project ?? process.cwd());
    // As upstream's loom-bridge-server: its variables, from the environment, over loom.toml.
    const given = args.address ?? project.env.LOOM_BRIDGE_ADDR ?? project.config.bridge.address;
    if (parseAddress(given)?.kind !== "tcp") throw new LoomError("USAGE", `--address ${JSON.stringify(given)} is not HOST:PORT`, { hint: "like 0.0.0.0:50051" });
    const host = await ipAddress(given);
    const exposed = args.expose || project.config.bridge.expose === true;
    const refused = refuseListen(hostPort(host).host, exposed, host);
    if (refused)
      throw new LoomError("USAGE", refused, {
        hint: "add --expose (or [bridge] expose = true) to listen there on purpose, and limit who can reach it with the network (a NetworkPolicy)",
      });
    // project.env is the real environment over .env, as the supervisor gives a runtime.
    const env = {
      ...project.env,
      ...toEnvVars(project.config, project.env),
      ...upstreamDashboardVars(project.env, project.file !== undefined),
      LOOM_BRIDGE_ADDR: host,
      ...(exposed ? { LOOM_BRIDGE_EXPOSE: "1" } : {}),
    };
    Object.assign(env, stateFiles(project.root, project.env));
    process.chdir(project.root); // the tools' workspace, as `loom up` runs the Bridge
    await runEmbeddedBridge(env);
    await new Promise(() => {}); // serves until a signal ends the process (bridge/main.ts)
  },
});
