import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { bashCompletion, completionSpec, fishCompletion, zshCompletion } from "../completion";

export default loomCommand({
  meta: {
    name: "completion",
    description: "Print a shell completion script (bash, zsh or fish)",
    examples: ['eval "$(loom completion bash)"', 'loom completion zsh > "${fpath[1]}/_loom"', "loom completion fish > ~/.config/fish/completions/loom.fish"],
  },
  args: { shell: { type: "positional", required: true, description: "bash, zsh or fish", valueHint: "SHELL" } },
  async run({ args }) {
    if (!["bash", "zsh", "fish"].includes(args.shell)) throw new LoomError("USAGE", `no completion for "${args.shell}"`, { hint: "loom completion bash|zsh|fish" });
    const { COMMANDS } = await import("../main");
    const spec = await completionSpec(COMMANDS);
    const render = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[args.shell as "bash" | "zsh" | "fish"];
    process.stdout.write(render(spec));
  },
});
