import { loomCommand } from "../command";
import { colors } from "consola/utils";
import { jsonArg, projectArg } from "../shared-args";
import { EXIT } from "../../errors";

const MARK = { ok: colors.green("ok  "), warn: colors.yellow("warn"), fail: colors.red("FAIL") };

export default loomCommand({
  meta: {
    name: "doctor",
    description: "Check what `loom run` needs (loom.toml, the runtime, Python and the SDK, ports, agents); exit 0 when it can work, else 5",
    examples: ["loom doctor", "loom doctor --json", "loom doctor --project ./my-agents"],
  },
  args: { ...projectArg, ...jsonArg },
  async run({ args }) {
    const { doctor } = await import("../../doctor/checks");
    const report = await doctor(args.project ?? process.cwd());
    const code = report.ok ? EXIT.ok : EXIT.problems;
    if (args.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      return code;
    }
    const width = Math.max(...report.checks.map((c) => c.name.length));
    const lines = report.checks.flatMap((c) => [`${MARK[c.verdict]}  ${c.name.padEnd(width)}  ${c.detail}`, ...(c.fix ? [`${" ".repeat(width + 8)}fix: ${c.fix}`] : [])]);
    lines.push("", report.ok ? "`loom run` can work here." : "`loom run` cannot work here yet: fix the FAIL lines above.");
    process.stdout.write(lines.join("\n") + "\n");
    return code;
  },
});
