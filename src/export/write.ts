/**
 * Writing an export: the manifests (or the Compose file), the Containerfile and its ignore file,
 * loom's own executable for the image, a README with the commands, and the env files' key lists
 * (`runtime.env.example`, `agents.env.example`). The values of `.env` never land in a file unless
 * `--include-secrets` asks (then runtime.env and agents.env, mode 0600, with a warning); a
 * runtime.env or agents.env that exists is never overwritten. Nothing is written through a
 * symbolic link: the directories on the way are checked, each file is new and renamed into place.
 */
import { chmodSync, constants, copyFileSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { randomHex } from "../system/random";
import { isAbsolute, join, relative, resolve } from "pathe";
import { parseTomlFile } from "../config/toml";
import type { ProjectConfig } from "../config/types";
import { LoomError } from "../errors";
import { isCompiled } from "../proc/self";
import { composeFile } from "./compose";
import { containerfile, containerignore } from "./containerfile";
import { bridgeName, kubernetesManifests, kustomization, type Manifest } from "./kubernetes";
import { type ExportPlan, exportPlan } from "./export-plan";

export type ExportTarget = "kubernetes" | "compose";

export interface ExportOptions {
  target: ExportTarget;
  /** Where to write, relative to the project (default deploy/<target>); it must be inside the project (the image's build context). */
  out?: string;
  /** The image the manifests name (default localhost/<name>:<version>). */
  image?: string;
  namespace?: string;
  includeSecrets?: boolean;
  /** Compose: publish the Bridge's port on the host's loopback (off by default: docs/cluster.md). */
  publish?: boolean;
}

export interface ExportResult {
  outDir: string;
  files: string[];
  image: string;
  build: string;
  warnings: string[];
}

/** YAML documents; copied through JSON first so no object is written twice as an anchor and an alias. */
const yaml = (docs: unknown[]) => docs.map((d) => `${Bun.YAML.stringify(JSON.parse(JSON.stringify(d)), null, 2).trimEnd()}\n`).join("---\n");

function envFiles(plan: ExportPlan, outDir: string, files: string[], warnings: string[]): void {
  for (const who of ["runtime", "agents"] as const) {
    const keys = plan.secrets[who];
    writeNoFollow(outDir, `${who}.env.example`, keys.map((k) => `${k}=\n`).join(""));
    files.push(`${who}.env.example`);
    const real = join(outDir, `${who}.env`);
    if (lstatSync(real, { throwIfNoEntry: false })) continue; // the user's, or something planted: never written through
    let text = ""; // present, so kustomize and compose find it; filled from .env by the user
    if (plan.values) {
      // As env files want them (compose, kustomize): KEY=value, no quoting; a value over several lines cannot be one.
      const multiline = keys.filter((k) => (plan.values![k] ?? "").includes("\n"));
      if (multiline.length) warnings.push(`${multiline.join(", ")} span several lines, which an env file cannot hold: left out of ${who}.env`);
      text = keys
        .filter((k) => !multiline.includes(k))
        .map((k) => `${k}=${plan.values![k] ?? ""}\n`)
        .join("");
      files.push(`${who}.env`);
    }
    writeFileSync(real, text, { mode: 0o600, flag: "wx" }); // wx: created here, never through a link
  }
  if (plan.values)
    warnings.push(`runtime.env and agents.env hold the values of .env (--include-secrets): keep them out of version control (the .gitignore written beside them does)`);
}

/** Makes `outDir` beneath `root`, refusing a symbolic link at any component (a cloned repository can aim one anywhere). */
function makeOutDir(root: string, outDir: string): void {
  let path = root;
  for (const part of relative(root, outDir).split("/")) {
    path = join(path, part);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) mkdirSync(path);
    else if (st.isSymbolicLink() || !st.isDirectory())
      throw new LoomError("CONFIG", `${relative(root, path)} is ${st.isSymbolicLink() ? "a symbolic link" : "not a directory"}: loom export never writes through links`, {
        hint: `remove it (\`rm ${relative(root, path)}\`) and export again, or choose another --out`,
      });
  }
}

/** Writes `name` in `outDir` as a new file renamed into place: a link there is replaced, never written through. */
function writeNoFollow(outDir: string, name: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = join(outDir, `.${name}.${randomHex(6)}.tmp`);
  writeFileSync(temp, data, { flag: "wx", mode });
  chmodSync(temp, mode);
  renameSync(temp, join(outDir, name));
}

export async function writeExport(project: ProjectConfig, o: ExportOptions): Promise<ExportResult> {
  const root = project.root;
  const outDir = resolve(root, o.out ?? join("deploy", o.target));
  const rel = relative(root, outDir);
  if (!rel || rel.startsWith("..") || isAbsolute(rel))
    throw new LoomError("USAGE", `--out ${outDir} is not inside the project ${root}`, {
      hint: "the image is built from the project directory, so the export must be in it (default deploy/<target>)",
    });
  const configText = project.file ? readFileSync(project.file, "utf8") : "";
  const raw = project.file ? await parseTomlFile(project.file, configText) : {};
  const plan = exportPlan(project, raw, o.includeSecrets);
  const image = o.image ?? `localhost/${plan.name}:${plan.version}`;
  const warnings: string[] = [];
  const files: string[] = [];
  makeOutDir(root, outDir);
  const write = (name: string, text: string) => {
    writeNoFollow(outDir, name, text);
    files.push(name);
  };
  if (o.target === "kubernetes") {
    const manifests = kubernetesManifests(plan, image, configText);
    const groups = new Map<string, Manifest[]>();
    for (const m of manifests) {
      const file = m.kind === "ConfigMap" ? "config.yaml" : m.metadata?.name === bridgeName(plan) ? "bridge.yaml" : `${m.metadata!.name}.yaml`;
      groups.set(file, [...(groups.get(file) ?? []), m]);
    }
    for (const [file, docs] of groups) write(file, yaml(docs));
    write("kustomization.yaml", yaml([kustomization(plan, [...groups.keys()], o.namespace)]));
  } else write("compose.yaml", yaml([composeFile(plan, image, o.publish ?? false)]));
  envFiles(plan, outDir, files, warnings);
  write("Containerfile", containerfile(plan, rel));
  // podman takes --ignorefile; Docker reads <Containerfile>.dockerignore beside it by itself.
  write("containerignore", containerignore());
  write("Containerfile.dockerignore", containerignore());
  write(".gitignore", "loom\n*.env\n");
  if (isCompiled()) {
    const temp = join(outDir, `.loom.${randomHex(6)}.tmp`);
    copyFileSync(process.execPath, temp, constants.COPYFILE_EXCL); // EXCL: a new file, never through a link
    chmodSync(temp, 0o755);
    renameSync(temp, join(outDir, "loom"));
    files.push("loom");
  } else warnings.push(`loom runs from source here: put a loom executable for the image's platform at ${join(rel, "loom")} before building`);
  const build = `podman build -f ${rel}/Containerfile --ignorefile ${rel}/containerignore -t ${image} .`;
  const apply = o.target === "kubernetes" ? `kubectl apply -k ${rel}` : `podman-compose -f ${rel}/compose.yaml up -d   (or: docker compose -f ${rel}/compose.yaml up -d)`;
  write(
    "README.md",
    `# ${plan.name}, exported by loom for ${o.target}\n\n1. Fill runtime.env (the Bridge's secrets: ${plan.secrets.runtime.join(", ") || "none"}) and agents.env (${plan.secrets.agents.join(", ") || "none"}) from .env.\n2. Build the image, from the project directory:\n\n       ${build}\n\n3. Push it where the cluster can pull it (or keep it local), then:\n\n       ${apply}\n\nRegenerate with \`loom export ${o.target}\` after changing loom.toml or the agents; runtime.env and agents.env are kept.\n\n## State\n\nThe Bridge keeps the agents' memory (conversations, state) and the trace history in /app/.loom of its container, and no volume is mounted there: both are lost when that container restarts. To keep them, ${o.target === "kubernetes" ? "mount a PersistentVolumeClaim at /app/.loom in the Bridge's Deployment (with securityContext.fsGroup: 10001 and strategy Recreate)" : "mount a named volume at /app/.loom on the bridge service"} (loom's docs/cluster.md).\n`,
  );
  return { outDir, files, image, build, warnings };
}
