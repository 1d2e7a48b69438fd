import { loomCommand } from "../command";
import { log as consola } from "../log";
import { initProject } from "../../project/init";

export default loomCommand({
  meta: {
    name: "init",
    description: "Create a new Loom project: loom.toml, an example agent and .gitignore entries (never overwrites)",
    examples: ["loom init", "loom init my-agents && cd my-agents && loom run"],
  },
  args: {
    dir: { type: "positional", required: false, description: "Directory of the new project (default: current)", valueHint: "DIR" },
  },
  run({ args }) {
    const result = initProject(args.dir ?? process.cwd());
    for (const f of result.created) consola.success(`created ${f}`);
    for (const f of result.skipped) consola.info(`kept existing ${f}`);
    if (result.appended.length) consola.success(`added ${result.appended.join(", ")} to .gitignore`);
    process.stdout.write(`\nProject in ${result.dir}. Next: \`loom config\` to check it, \`loom run\` to start it.`);
  },
});
