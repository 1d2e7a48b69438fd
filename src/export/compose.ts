/**
 * `loom export compose`: the same shape as the Kubernetes export for Docker Compose v2 and
 * podman-compose: the Bridge (`loom serve`, healthy once `loom ping` answers, its port published
 * on the host's loopback only with `--publish`), and one service per agent with `deploy.replicas`, started once the
 * Bridge is healthy (`depends_on: service_healthy`) and reaching it by its service name. The
 * runtime's `.env` keys go to the Bridge only (runtime.env), the rest to the agents (agents.env).
 */
import type { ExportPlan } from "./export-plan";

/** Kubernetes' "500m" as Compose's "0.5". */
const cpus = (q: string) => String(q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q));
/** Kubernetes' "256Mi" as Compose's "256m" (Compose knows b, k, m, g). */
const memory = (q: string) => q.replace(/([KMGT])i?$/, (_, unit: string) => unit.toLowerCase());

export function composeFile(plan: ExportPlan, image: string, publish = false): Record<string, unknown> {
  const services: Record<string, unknown> = {
    bridge: {
      image,
      command: ["serve", "--address", `0.0.0.0:${plan.bridgePort}`, "--expose"],
      env_file: ["runtime.env"],
      environment: { HOME: "/tmp" },
      // Published only when asked: inside the container every peer is the engine's gateway, so
      // every local user of the host would reach the Bridge's tools (docs/cluster.md).
      ...(publish ? { ports: [`127.0.0.1:${plan.bridgePort}:${plan.bridgePort}`] } : {}),
      healthcheck: {
        test: ["CMD", "loom", "ping", "--count", "1", "--address", `127.0.0.1:${plan.bridgePort}`],
        interval: "2s",
        timeout: "5s",
        retries: 15,
      },
      stop_grace_period: "10s",
    },
  };
  for (const a of plan.agents)
    services[a.resource.slice(plan.name.length + 1) || a.id] = {
      image,
      ...(a.source ? { command: ["run", "--bridge", `bridge:${plan.bridgePort}`, a.source] } : { entrypoint: a.command }),
      env_file: ["agents.env"],
      environment: { HOME: "/tmp", LOOM_SINGLE_REPLICA: "1", ...(a.source ? {} : { LOOM_BRIDGE_ADDR: `bridge:${plan.bridgePort}` }) },
      deploy: {
        replicas: a.replicas,
        ...(a.resources
          ? { resources: { limits: { ...(a.resources.cpu ? { cpus: cpus(a.resources.cpu) } : {}), ...(a.resources.memory ? { memory: memory(a.resources.memory) } : {}) } } }
          : {}),
      },
      depends_on: { bridge: { condition: "service_healthy" } },
      stop_grace_period: "10s",
    };
  return { services }; // no top-level name: docker-compose 1.x refuses it; the project is named by -p or the directory
}
