/**
 * `loom export kubernetes`: the project as manifests for `kubectl apply -k` (docs/cluster.md). The
 * objects are typed with kubernetes-types, so a misspelt field fails `tsc`:
 * - the Bridge: `loom serve` (the embedded Bridge) in a Deployment of one, behind a Service, probed
 *   over gRPC (grpc.health.v1), listening on its pod address (`--expose`), which a NetworkPolicy
 *   limits to the project's own pods;
 * - one Deployment per agent, `[agents.<id>] replicas` of them, each running `loom run --bridge`
 *   (it starts the agent once the Bridge answers, restarts it, prints its output), probed by
 *   `loom status`;
 * - loom.toml as a ConfigMap (read with `--config`), the `.env` keys as two Secrets by reference
 *   (kustomize makes them from runtime.env and agents.env, which loom writes only when asked):
 *   the runtime's keys reach only the Bridge's pod.
 * Labels are the recommended app.kubernetes.io/* ones.
 */
import type { ConfigMap, Container, EnvVar, PodSpec, Service } from "kubernetes-types/core/v1";
import type { Deployment } from "kubernetes-types/apps/v1";
import type { NetworkPolicy } from "kubernetes-types/networking/v1";
import type { ExportAgent, ExportPlan } from "./export-plan";

export const CONFIG_DIR = "/etc/loom";
export const APP_DIR = "/app";

export type Manifest = (Deployment | Service | ConfigMap | NetworkPolicy) & { apiVersion: string; kind: string };

const labels = (plan: ExportPlan, component: "bridge" | "agent", name: string) => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/instance": plan.name,
  "app.kubernetes.io/component": component,
  "app.kubernetes.io/part-of": plan.name,
  "app.kubernetes.io/version": plan.version,
  "app.kubernetes.io/managed-by": "loom",
});
const selector = (plan: ExportPlan, name: string) => ({ "app.kubernetes.io/instance": plan.name, "app.kubernetes.io/name": name });

export const bridgeName = (plan: ExportPlan) => `${plan.name}-bridge`;
export const secretName = (plan: ExportPlan, who: "runtime" | "agents") => `${plan.name}-${who}`;

function secretEnv(plan: ExportPlan, who: "runtime" | "agents"): EnvVar[] {
  return plan.secrets[who].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: secretName(plan, who), key, optional: true } } }));
}

/** What every container of the project shares: the image, the configuration, a non-root user. */
function container(image: string, name: string, args: string[], env: EnvVar[]): Container {
  return {
    name,
    image,
    args: [...args.slice(0, 1), "--config", `${CONFIG_DIR}/loom.toml`, ...args.slice(1)],
    env: [{ name: "HOME", value: "/tmp" }, ...env],
    volumeMounts: [{ name: "config", mountPath: CONFIG_DIR, readOnly: true }],
    securityContext: { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  };
}

function deployment(plan: ExportPlan, name: string, component: "bridge" | "agent", replicas: number, spec: PodSpec): Deployment & Manifest {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: labels(plan, component, name) },
    spec: {
      replicas,
      selector: { matchLabels: selector(plan, name) },
      template: {
        metadata: { labels: labels(plan, component, name) },
        spec: { ...spec, volumes: [{ name: "config", configMap: { name: `${plan.name}-config` } }] },
      },
    },
  };
}

function bridge(plan: ExportPlan, image: string): Manifest[] {
  const name = bridgeName(plan);
  const probe = { grpc: { port: plan.bridgePort }, periodSeconds: 5 };
  const main = container(image, "bridge", ["serve", "--address", `0.0.0.0:${plan.bridgePort}`, "--expose"], secretEnv(plan, "runtime"));
  main.ports = [{ name: "grpc", containerPort: plan.bridgePort }];
  main.readinessProbe = probe;
  main.livenessProbe = { ...probe, failureThreshold: 3 };
  const service: Service & Manifest = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, labels: labels(plan, "bridge", name) },
    spec: { selector: selector(plan, name), ports: [{ name: "grpc", port: plan.bridgePort, targetPort: "grpc", appProtocol: "grpc" }] },
  };
  const policy: NetworkPolicy & Manifest = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, labels: labels(plan, "bridge", name) },
    spec: {
      podSelector: { matchLabels: selector(plan, name) },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/part-of": plan.name } } }], ports: [{ port: plan.bridgePort }] }],
    },
  };
  return [deployment(plan, name, "bridge", 1, { containers: [main] }), service, policy];
}

function agent(plan: ExportPlan, image: string, a: ExportAgent): Manifest {
  const address = `${bridgeName(plan)}:${plan.bridgePort}`;
  const args = a.source ? ["run", "--bridge", address, a.source] : [];
  // One agent process per pod: the Deployment's replicas are the agent's replicas.
  const env = [{ name: "LOOM_SINGLE_REPLICA", value: "1" }, ...secretEnv(plan, "agents")];
  const main: Container = a.source
    ? container(image, "agent", args, env)
    : { ...container(image, "agent", ["run"], [...env, { name: "LOOM_BRIDGE_ADDR", value: address }]), command: a.command, args: [] };
  if (a.resources) main.resources = { requests: a.resources, ...(a.resources.memory ? { limits: { memory: a.resources.memory } } : {}) };
  if (a.source) main.livenessProbe = { exec: { command: ["loom", "status"] }, initialDelaySeconds: 30, periodSeconds: 15, failureThreshold: 3 };
  return deployment(plan, a.resource, "agent", a.replicas, { containers: [main] });
}

export function kubernetesManifests(plan: ExportPlan, image: string, configText: string): Manifest[] {
  const config: ConfigMap & Manifest = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${plan.name}-config`, labels: labels(plan, "bridge", `${plan.name}-config`) },
    data: { "loom.toml": configText },
  };
  return [config, ...bridge(plan, image), ...plan.agents.map((a) => agent(plan, image, a))];
}

/** kustomization.yaml: the files, the namespace, and the two Secrets made from the env files. */
export function kustomization(plan: ExportPlan, files: string[], namespace?: string): Record<string, unknown> {
  return {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    ...(namespace ? { namespace } : {}),
    resources: files,
    generatorOptions: { disableNameSuffixHash: true },
    secretGenerator: (["runtime", "agents"] as const).map((who) => ({ name: secretName(plan, who), envs: [`${who}.env`] })),
  };
}
