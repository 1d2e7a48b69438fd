import { loomCommand } from "../command";
import { log as consola } from "../log";
import { relative, resolve } from "pathe";
import { SDK_INSTALL } from "../../config/sdk-compat";
import { initProject } from "../../project/init";
import type { Template } from "../../project/templates";

export default loomCommand({
  meta: {
    name: "init",
    description: "Create a new Loom project: loom.toml, a starter agent that answers on the Bridge, .gitignore entries (never overwrites)",
    examples: ["loom init my-agents && cd my-agents && loom run", "loom init --template python"],
  },
  args: {
    dir: { type: "positional", required: false, description: "Directory of the new project (default: current)", valueHint: "DIR" },
    template: { type: "enum", options: ["ts", "python"], description: "The starter agent: TypeScript with loom's SDK (default), or Python with upstream's SDK" },
  },
  run({ args }) {
    const template = (args.template ?? "ts") as Template;
    const result = initProject(args.dir ?? process.cwd(), template);
    for (const f of result.created) consola.success(`created ${f}`);
    for (const f of result.skipped) consola.info(`kept existing ${f}`);
    if (result.appended.length) consola.success(`added ${result.appended.join(", ")} to .gitignore`);
    const cd = resolve(result.dir) === resolve(process.cwd()) ? "" : `cd ${relative(process.cwd(), result.dir) || "."} && `;
    const steps: [string, string][] = [
      ...(template === "python" ? ([[SDK_INSTALL, "upstream's Python SDK, once"]] as [string, string][]) : []),
      [`${cd}loom run`, "the runtime and the starter agent; it prints the dashboard's URL"],
      [`loom pub hello.input '{"name": "Ada"}' --reply`, "in another terminal: the agent answers"],
      [`loom sub 'hello.*' 'agent.*'`, "every event on those topics, live (or open the dashboard)"],
    ];
    const width = Math.max(...steps.map(([c]) => c.length));
    process.stdout.write(`\nProject in ${result.dir}. Next:\n${steps.map(([c, why]) => `  ${c.padEnd(width)}   # ${why}\n`).join("")}`);
  },
});
