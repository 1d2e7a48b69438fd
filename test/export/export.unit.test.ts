/**
 * `loom export` without a container engine: every Kubernetes object validates against the official
 * schemas (kubernetes-models), secrets go only where they belong, no `.env` value lands in a file
 * unless asked, and the example project's export matches its golden files (UPDATE_GOLDEN=1 rewrites
 * them after a deliberate change).
 */
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { Deployment } from "kubernetes-models/apps/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { join } from "pathe";
import { loadProjectConfig } from "../../src/config/load";
import { kubernetesManifests } from "../../src/export/kubernetes";
import { exportPlan } from "../../src/export/export-plan";
import { writeExport } from "../../src/export/write";
import { exampleFiles } from "../helpers/examples";
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

describe("secrets stay out of what the export writes", () => {
  test("a secret written into loom.toml is refused, naming it: it would reach the ConfigMap and the image", async () => {
    const root = writeTree(tempDir(), {
      "loom.toml":
        '[llm.main]\napi_key = "sk-literal-9"\nmodel = "m"\n[mcp.files]\ncommand = "npx"\n[mcp.files.env]\nGITHUB_TOKEN = "ghp_literal"\nDEBUG = "1"\nMAX_TOKENS = "2048"\nAUTHOR = "ada"\n',
      "agents/a.ts": "",
    });
    const error = await writeExport(await loadProjectConfig(root, { env: {} }), { target: "kubernetes" }).catch((e) => e);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("`llm.main.api_key`, `mcp.files.env.GITHUB_TOKEN` as literal values");
    expect(error.message).not.toContain("DEBUG");
    expect(error.message).not.toContain("MAX_TOKENS");
    expect(error.message).not.toContain("AUTHOR");
    expect(existsSync(join(root, "deploy"))).toBe(false);
  });

  test("a ${VAR} that .env lacks is still named for the Bridge's pod", async () => {
    const { loaded } = await project("AGENT_TOKEN=agent-3\n");
    const result = await writeExport(loaded, { target: "kubernetes" });
    const text = (f: string) => readFileSync(join(result.outDir, f), "utf8");
    expect(text("runtime.env.example")).toBe("LLM_KEY=\nMCP_TOKEN=\n");
    expect(text("bridge.yaml")).toContain("key: LLM_KEY");
    expect(text("README.md")).toContain("the Bridge's secrets: LLM_KEY, MCP_TOKEN");
  });

  test("every env file stays out of the image, for podman and Docker alike; compose publishes no port unless asked", async () => {
    const { root, loaded } = await project();
    await writeExport(loaded, { target: "kubernetes" });
    const result = await writeExport(loaded, { target: "compose" });
    for (const f of ["containerignore", "Containerfile.dockerignore"]) {
      const ignore = readFileSync(join(result.outDir, f), "utf8").split("\n");
      for (const pattern of ["**/*.env", "**/.env", "**/.env.*", ".loom", ".git"]) expect(ignore, `${f} ${pattern}`).toContain(pattern);
    }
    expect(existsSync(join(root, "deploy/kubernetes/runtime.env"))).toBe(true); // the other target's: matched by **/*.env
    expect(readFileSync(join(result.outDir, "compose.yaml"), "utf8")).not.toContain("ports:");
    const published = await writeExport(loaded, { target: "compose", publish: true });
    expect(readFileSync(join(published.outDir, "compose.yaml"), "utf8")).toContain("127.0.0.1:50051:50051");
  });

  test("links in the export's place are refused or replaced, never written through", async () => {
    const { root, loaded } = await project();
    const outside = tempDir();
    writeFileSync(join(outside, "authorized_keys"), "mine\n");
    mkdirSync(join(root, "deploy/kubernetes"), { recursive: true });
    symlinkSync(join(outside, "authorized_keys"), join(root, "deploy/kubernetes/README.md"));
    await writeExport(loaded, { target: "kubernetes" });
    expect(readFileSync(join(outside, "authorized_keys"), "utf8")).toBe("mine\n");
    expect(lstatSync(join(root, "deploy/kubernetes/README.md")).isSymbolicLink()).toBe(false);
    symlinkSync(outside, join(root, "deploy/compose"));
    const error = await writeExport(loaded, { target: "compose" }).catch((e) => e);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("deploy/compose is a symbolic link");
    expect(readdirSync(outside)).toEqual(["authorized_keys"]);
  });
});

describe("upstream's three apps", () => {
  for (const [name, file] of Object.entries(exampleFiles()))
    test(`${name} exports, its referenced keys named for the Bridge's pod without a .env`, async () => {
      const root = writeTree(tempDir(), { "loom.toml": readFileSync(file, "utf8"), "agents/a.py": "" });
      const result = await writeExport(await loadProjectConfig(root, { env: {} }), { target: "kubernetes" });
      const runtime = readFileSync(join(result.outDir, "runtime.env.example"), "utf8");
      expect(runtime).toContain("DEEPSEEK_API_KEY=\n");
      if (name !== "chat-assistant") expect(runtime).toContain("BRAVE_API_KEY=\n");
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
