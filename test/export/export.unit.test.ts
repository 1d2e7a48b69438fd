/**
 * `loom export` without a container engine: every Kubernetes object validates against the official
 * schemas (kubernetes-models), secrets go only where they belong, no `.env` value lands in a file
 * unless asked, and the example project's export matches its golden files (UPDATE_GOLDEN=1 rewrites
 * them after a deliberate change).
 */
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { join } from "pathe";
import { loadProjectConfig } from "../../src/config/load";
import { kubernetesManifests } from "../../src/export/kubernetes";
import { exportPlan } from "../../src/export/plan";
import { writeExport } from "../../src/export/write";
import { ROOT } from "../helpers/loom";
import { tempDir, writeTree } from "../helpers/tmp";

const TOML =
  'name = "Shop Agents"\nversion = "1.2.0"\n[bridge]\nruntime = "embedded"\n[llm.main]\napi_key = "${LLM_KEY}"\n[mcp.files]\ncommand = "npx"\n[mcp.files.env]\nTOKEN = "$MCP_TOKEN"\n[agents.worker]\nreplicas = 3\nresources = { cpu = "250m", memory = "128Mi" }\n';

async function project(env = "LLM_KEY=sk-live-1\nMCP_TOKEN=mcp-2\nAGENT_TOKEN=agent-3\n") {
  const root = writeTree(tempDir(), { "loom.toml": TOML, ".env": env, "agents/worker.ts": "", "agents/helper.py": "" });
  return { root, loaded: await loadProjectConfig(root, { env: {} }) };
}

const VALIDATORS: Record<string, (o: object) => { validate(): void }> = {
  Deployment: (o) => new Deployment(o as never),
  Service: (o) => new Service(o as never),
  ConfigMap: (o) => new ConfigMap(o as never),
  NetworkPolicy: (o) => new NetworkPolicy(o as never),
};

describe("loom export kubernetes", () => {
  test("every object validates against Kubernetes' schemas; names are DNS labels; replicas and labels as configured", async () => {
    const { loaded } = await project();
    const plan = exportPlan(loaded, { llm: { main: { api_key: "${LLM_KEY}" } }, mcp: { files: { env: { TOKEN: "$MCP_TOKEN" } } } });
    const manifests = kubernetesManifests(plan, "registry.example/shop:1.2.0", TOML);
    expect(manifests.map((m) => `${m.kind} ${m.metadata!.name}`)).toEqual([
      "ConfigMap shop-agents-config",
      "Deployment shop-agents-bridge",
      "Service shop-agents-bridge",
      "NetworkPolicy shop-agents-bridge",
      "Deployment shop-agents-helper",
      "Deployment shop-agents-worker",
    ]);
    for (const m of manifests) expect(() => VALIDATORS[m.kind]!(m).validate()).not.toThrow();
    const worker = manifests.find((m) => m.metadata!.name === "shop-agents-worker") as Deployment;
    expect(worker.spec!.replicas).toBe(3);
    expect(worker.spec!.template.spec!.containers[0]!.args).toEqual(["run", "--config", "/etc/loom/loom.toml", "--bridge", "shop-agents-bridge:50051", "agents/worker.ts"]);
    expect(worker.spec!.template.spec!.containers[0]!.resources).toEqual({ requests: { cpu: "250m", memory: "128Mi" }, limits: { memory: "128Mi" } });
    expect(worker.metadata!.labels).toMatchObject({ "app.kubernetes.io/part-of": "shop-agents", "app.kubernetes.io/component": "agent", "app.kubernetes.io/managed-by": "loom" });
    const bridge = manifests.find((m) => m.kind === "Deployment" && m.metadata!.name === "shop-agents-bridge") as Deployment;
    expect(bridge.spec!.template.spec!.containers[0]!.readinessProbe).toMatchObject({ grpc: { port: 50051 } });
  });

  test("the runtime's keys reach only the Bridge's pod, the others only the agents'; values only with --include-secrets", async () => {
    const { root, loaded } = await project();
    const result = await writeExport(loaded, { target: "kubernetes" });
    const text = (f: string) => readFileSync(join(result.outDir, f), "utf8");
    expect(text("bridge.yaml")).toContain("key: LLM_KEY");
    expect(text("bridge.yaml")).toContain("key: MCP_TOKEN");
    expect(text("bridge.yaml")).not.toContain("AGENT_TOKEN");
    expect(text("shop-agents-worker.yaml")).toContain("key: AGENT_TOKEN");
    expect(text("shop-agents-worker.yaml")).not.toContain("LLM_KEY");
    expect(text("runtime.env.example")).toBe("LLM_KEY=\nMCP_TOKEN=\n");
    for (const f of readdirSync(result.outDir))
      if (statSync(join(result.outDir, f)).isFile()) expect({ f, leaks: /sk-live-1|mcp-2|agent-3/.test(text(f)) }).toEqual({ f, leaks: false });
    expect(text("runtime.env")).toBe(""); // present for kustomize, filled by the user

    writeFileSync(join(result.outDir, "agents.env"), "AGENT_TOKEN=mine\n");
    const again = await writeExport(loaded, { target: "kubernetes", includeSecrets: true });
    expect(again.warnings.join("\n")).toContain("--include-secrets");
    expect(text("agents.env")).toBe("AGENT_TOKEN=mine\n"); // never overwritten
    expect(statSync(join(root, "deploy/kubernetes/runtime.env")).size).toBe(0); // it existed: kept
  });

  test("a link planted where runtime.env goes is never written through", async () => {
    const { root, loaded } = await project();
    const target = join(tempDir(), "stolen.env");
    mkdirSync(join(root, "deploy/kubernetes"), { recursive: true });
    symlinkSync(target, join(root, "deploy/kubernetes/runtime.env"));
    await writeExport(loaded, { target: "kubernetes", includeSecrets: true });
    expect(existsSync(target)).toBe(false);
  });

  test("an --out outside the project is refused (the image is built from the project)", async () => {
    const { loaded } = await project();
    expect(await writeExport(loaded, { target: "compose", out: "/tmp" }).catch((e) => e.exitCode)).toBe(2);
  });
});

test("resources that are not quantities are exit 2 naming the key", async () => {
  const root = writeTree(tempDir(), { "loom.toml": '[agents.a]\nresources = { cpu = "lots" }\n', "agents/a.ts": "" });
  const error = await writeExport(await loadProjectConfig(root, { env: {} }), { target: "kubernetes" }).catch((e) => e);
  expect(error.exitCode).toBe(2);
  expect(error.message).toContain("`agents.a.resources` must be a table of cpu and memory quantities");
});

describe("golden files: examples/demo", () => {
  for (const target of ["kubernetes", "compose"] as const)
    test(`loom export ${target}`, async () => {
      const root = join(tempDir(), "demo");
      cpSync(join(ROOT, "examples/demo"), root, { recursive: true });
      const result = await writeExport(await loadProjectConfig(root, { env: {} }), { target });
      const golden = join(ROOT, "test/export/golden", target);
      for (const f of result.files.filter((f) => f !== "loom")) {
        const got = readFileSync(join(result.outDir, f), "utf8");
        if (process.env.UPDATE_GOLDEN === "1") writeFileSync(join(golden, f), got);
        expect({ f, text: got }).toEqual({ f, text: readFileSync(join(golden, f), "utf8") });
      }
    });
});
