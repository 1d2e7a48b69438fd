/**
 * `loom export` proven on a real container engine (Debian's podman, with runc, cgroupfs, file
 * events and default ulimits, configured under a temporary directory; the base image made with
 * debootstrap, since no registry is reachable): the image built from dist/loom and
 * examples/cluster (a TypeScript worker with three replicas); then
 * - `podman kube play` of the exported manifests, adapted only where podman ignores Kubernetes (a
 *   Service is reached by its pod's name; secrets are created beforehand; the Bridge's port is
 *   published on loopback): the Bridge answers, three replicas reach it, each secret is only in
 *   its pod, `loom pub`/`loom sub` work through the published port, each event is handled once
 *   across the replicas, `kube down` leaves nothing;
 * - the same with podman-compose and the exported Compose file (validated first by
 *   docker-compose where installed).
 * Skipped, saying why, where podman cannot run (not root, not installed, no debootstrap).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, cpSync, mkdirSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "pathe";
import { connectAgent } from "../../src/client/agent";
import { freePort } from "../../src/net/ports";
import { grpcHeartbeat } from "../../src/net/health";
import { ROOT } from "../helpers/loom";
import { loom, poll } from "../helpers/runtime";
import { tempDir } from "../helpers/tmp";

const BASE = "localhost/loom-test-base:bookworm";
const IMAGE = "localhost/loom-e2e:test";
const missing = ["podman", "runc", "debootstrap", "podman-compose"].filter((t) => !Bun.which(t));
const why = process.getuid?.() !== 0 ? "not root" : missing.length ? `${missing.join(", ")} not installed` : undefined;
if (why) console.warn(`skipping the podman tests of loom export: ${why} (.ci/run installs podman podman-compose runc debootstrap as root)`);

const conf = tempDir("podman-conf-");
const env = { ...process.env, CONTAINERS_CONF: join(conf, "containers.conf") };
writeFileSync(
  env.CONTAINERS_CONF,
  '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
);

async function sh(argv: string[], o: { cwd?: string; ok?: boolean } = {}): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(argv, { cwd: o.cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if ((o.ok ?? true) && code !== 0) throw new Error(`${argv.join(" ")} failed (${code}): ${err.slice(-2000)}`);
  return { code, out, err };
}

/** The base image: a minimal Debian from the mirror apt uses, imported once per machine. */
async function baseImage(): Promise<void> {
  if ((await sh(["podman", "image", "exists", BASE], { ok: false })).code === 0) return;
  const mirror =
    /^URIs:\s*(\S+)/m.exec(existsSync("/etc/apt/sources.list.d/debian.sources") ? readFileSync("/etc/apt/sources.list.d/debian.sources", "utf8") : "")?.[1] ??
    "http://deb.debian.org/debian";
  const rootfs = join(tempDir("rootfs-"), "rootfs");
  await sh(["debootstrap", "--variant=minbase", "bookworm", rootfs, mirror]);
  await sh(["sh", "-c", `tar -C '${rootfs}' -c . | podman import - ${BASE}`]);
  await sh(["rm", "-rf", rootfs]);
}

/** examples/cluster: worker (three replicas), an LLM key for the runtime, a token for the agents. */
async function exported(target: "kubernetes" | "compose"): Promise<string> {
  const root = join(tempDir("export-"), "cluster");
  cpSync(join(ROOT, "examples/cluster"), root, { recursive: true });
  copyFileSync(join(root, ".env.example"), join(root, ".env"));
  const r = await loom(["export", target, "--image", IMAGE, "--include-secrets", ...(target === "compose" ? ["--publish"] : [])], root);
  expect(r.code).toBe(0);
  // The other target's filled runtime.env and a nested .env.local: neither may reach the image.
  const other = target === "kubernetes" ? "compose" : "kubernetes";
  mkdirSync(join(root, "deploy", other), { recursive: true });
  writeFileSync(join(root, "deploy", other, "runtime.env"), "LLM_KEY=other-target-leak\n");
  mkdirSync(join(root, "sub"), { recursive: true });
  writeFileSync(join(root, "sub/.env.local"), "LLM_KEY=nested-leak\n");
  await sh(["podman", "build", "-q", "-f", `deploy/${target}/Containerfile`, "--ignorefile", `deploy/${target}/containerignore`, "--build-arg", `BASE=${BASE}`, "-t", IMAGE, "."], {
    cwd: root,
  });
  const envFiles = await sh(["podman", "run", "--rm", "--entrypoint", "/bin/sh", IMAGE, "-c", "find /app -name '*.env' -o -name '.env*' | sort; grep -rl leak /app || true"]);
  expect(envFiles.out.trim()).toBe("");
  return root;
}

/** 30 events on jobs through the published port: each handled once, by three different replicas. */
async function handledOnce(address: string): Promise<void> {
  await poll("the Bridge", async () => (await grpcHeartbeat(address, 1_000)).ok, 60_000);
  const target = { address, shown: address };
  const seen: { n: number; replica: string }[] = [];
  const sub = await connectAgent(target, "test-counter", ["done"]);
  sub.onDelivery((d) => seen.push(JSON.parse(Buffer.from(d.event.payload ?? []).toString())));
  // The replicas are ready once each answered a probe of its own.
  await poll(
    "three replicas answering",
    async () => {
      const probe = await connectAgent(target, `probe-${Date.now()}`, []);
      for (let i = 0; i < 6; i++) probe.publish("jobs", JSON.stringify({ n: -1 }));
      await probe.close();
      await Bun.sleep(300);
      return new Set(seen.filter((s) => s.n === -1).map((s) => s.replica)).size === 3;
    },
    90_000,
  );
  seen.length = 0;
  const pub = await connectAgent(target, "test-producer", []);
  for (let n = 0; n < 30; n++) pub.publish("jobs", JSON.stringify({ n }));
  await pub.close();
  await poll("30 answers", () => seen.length >= 30, 30_000);
  await Bun.sleep(500);
  await sub.close();
  expect(seen.map((s) => s.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  expect(new Set(seen.map((s) => s.replica)).size).toBe(3);
}

const envOf = async (container: string, key: string) => (await sh(["podman", "exec", container, "printenv", key], { ok: false })).out.trim();

describe.skipIf(Boolean(why))("loom export on podman", () => {
  beforeAll(async () => {
    await baseImage();
  }, 300_000);
  afterAll(async () => {
    await sh(["podman", "rmi", "-f", IMAGE], { ok: false });
  });

  test("kubernetes: podman kube play runs the Bridge and three replicas; secrets stay in their pods; kube down leaves nothing", async () => {
    const root = await exported("kubernetes");
    const dir = join(root, "deploy/kubernetes");
    const port = await freePort("127.0.0.1");
    // What podman ignores of Kubernetes: Services (a pod is reached by its name), Secret objects
    // (created beforehand, a JSON map of base64 values), and a hostPort is how a port is published.
    const played = ["config.yaml", "bridge.yaml", "cluster-demo-worker.yaml"]
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .join("---\n")
      .split("---\n")
      .filter((doc) => !/^kind: (Service|NetworkPolicy)$/m.test(doc))
      .join("---\n")
      .replaceAll("cluster-demo-bridge:50051", "cluster-demo-bridge-pod-0:50051")
      .replace("containerPort: 50051\n", `containerPort: 50051\n              hostPort: ${port}\n              hostIP: 127.0.0.1\n`);
    writeFileSync(join(dir, "play.yaml"), played);
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const network = `loom-e2e-${process.pid}`;
    try {
      for (const [name, values] of [
        ["cluster-demo-runtime", { LLM_KEY: b64("sk-runtime-only") }],
        ["cluster-demo-agents", { AGENT_TOKEN: b64("agents-only") }],
      ] as const) {
        const file = join(tempDir(), name);
        writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
        await sh(["podman", "secret", "create", name, file]);
      }
      await sh(["podman", "network", "create", network]);
      await sh(["podman", "kube", "play", "--network", network, join(dir, "play.yaml")]);
      await handledOnce(`127.0.0.1:${port}`);
      expect((await loom(["ping", "--count", "1", "--address", `127.0.0.1:${port}`], root)).code).toBe(0);
      expect(await envOf("cluster-demo-bridge-pod-0-bridge", "LLM_KEY")).toBe("sk-runtime-only");
      expect(await envOf("cluster-demo-bridge-pod-0-bridge", "AGENT_TOKEN")).toBe("");
      // What a prompt-injected agent would try: the Bridge's system:shell reading its PID 1's environment.
      const shell = JSON.stringify({ command: "cat", args: ["/proc/1/environ"] });
      const stolen = await sh(["podman", "exec", "cluster-demo-worker-pod-0-agent", "loom", "call", "system:shell", shell, "--address", "cluster-demo-bridge-pod-0:50051"], {
        ok: false,
      });
      expect(stolen.out + stolen.err).not.toContain("sk-runtime-only");
      expect(stolen.out + stolen.err).toMatch(/Permission denied|not allowed/);
      for (const i of [0, 1, 2]) {
        expect(await envOf(`cluster-demo-worker-pod-${i}-agent`, "AGENT_TOKEN")).toBe("agents-only");
        expect(await envOf(`cluster-demo-worker-pod-${i}-agent`, "LLM_KEY")).toBe("");
      }
    } finally {
      await sh(["podman", "kube", "down", join(dir, "play.yaml")], { ok: false });
      await sh(["podman", "secret", "rm", "cluster-demo-runtime", "cluster-demo-agents"], { ok: false });
      await sh(["podman", "network", "rm", "-f", network], { ok: false });
    }
    expect((await sh(["podman", "ps", "-a", "--filter", "name=cluster-demo-", "-q"])).out.trim()).toBe("");
    expect((await sh(["podman", "pod", "ps", "--filter", "name=cluster-demo-", "-q"])).out.trim()).toBe("");
  }, 300_000);

  test("compose: podman-compose runs the same; each event handled once; down leaves nothing", async () => {
    const root = await exported("compose");
    const dir = join(root, "deploy/compose");
    if (Bun.which("docker-compose")) expect((await sh(["docker-compose", "-f", join(dir, "compose.yaml"), "config", "-q"], { ok: false })).code).toBe(0);
    const port = await freePort("127.0.0.1");
    writeFileSync(join(dir, "compose.yaml"), readFileSync(join(dir, "compose.yaml"), "utf8").replace("127.0.0.1:50051:50051", `127.0.0.1:${port}:50051`));
    const compose = ["podman-compose", "-p", `loom-e2e-${process.pid}`, "-f", join(dir, "compose.yaml")];
    try {
      await sh([...compose, "up", "-d"], { cwd: dir });
      await handledOnce(`127.0.0.1:${port}`);
      const containers = (await sh(["podman", "ps", "--filter", `label=io.podman.compose.project=loom-e2e-${process.pid}`, "--format", "{{.Names}}"])).out.trim().split("\n");
      const bridge = containers.find((c) => c.includes("bridge"))!;
      expect(await envOf(bridge, "LLM_KEY")).toBe("sk-runtime-only");
      expect(await envOf(bridge, "AGENT_TOKEN")).toBe("");
      expect(containers.filter((c) => c.includes("worker"))).toHaveLength(3);
    } finally {
      await sh([...compose, "down"], { cwd: dir, ok: false });
    }
    expect((await sh(["podman", "ps", "-a", "--filter", `label=io.podman.compose.project=loom-e2e-${process.pid}`, "-q"])).out.trim()).toBe("");
  }, 300_000);
});
