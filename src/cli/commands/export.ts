import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { log } from "../log";
import { projectArg } from "../shared-args";

export default loomCommand({
  meta: {
    name: "export",
    description: "Write the project as Kubernetes manifests (kubectl apply -k) or a Compose file, with the Containerfile of its image",
    examples: ["loom export kubernetes", "loom export compose --image registry.example/team/agents:1.0", "loom export kubernetes --namespace agents --out deploy/k8s"],
  },
  args: {
    ...projectArg,
    target: { type: "positional", required: true, description: "What to write: kubernetes or compose", valueHint: "kubernetes|compose" },
    out: { type: "string", description: "Where, inside the project (default deploy/<target>)", valueHint: "DIR" },
    image: { type: "string", description: "The image the manifests name (default localhost/<name>:<version>)", valueHint: "REF" },
    namespace: { type: "string", description: "Kubernetes namespace for the kustomization", valueHint: "NS" },
    "include-secrets": { type: "boolean", description: "Write .env's values into runtime.env and agents.env (otherwise only their keys)" },
    publish: { type: "boolean", description: "compose: publish the Bridge's port on the host's loopback (every local user can then reach its tools)" },
  },
  async run({ args }) {
    if (args.target !== "kubernetes" && args.target !== "compose")
      throw new LoomError("USAGE", `loom export writes kubernetes or compose, not ${JSON.stringify(args.target)}`, { hint: "loom export kubernetes, or loom export compose" });
    const { loadProjectConfig } = await import("../../config/load");
    const { writeExport } = await import("../../export/write");
    const project = await loadProjectConfig(args.project ?? process.cwd());
    const result = await writeExport(project, {
      target: args.target,
      out: args.out,
      image: args.image,
      namespace: args.namespace,
      includeSecrets: args["include-secrets"],
      publish: args.publish,
    });
    for (const w of result.warnings) log.warn(w);
    log.success(`wrote ${result.files.join(", ")} in ${result.outDir}`);
    process.stdout.write(`\nNext: build the image ${result.image} from the project directory:\n  ${result.build}\nthen see ${result.outDir}/README.md\n`);
  },
});
