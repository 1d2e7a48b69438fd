import { loomCommand } from "../command";
import { projectRoot } from "../../config/root";
import { EXIT, LoomError } from "../../errors";
import { downAll, downProject, type DownResult } from "../../launch/down";
import { log } from "../log";
import { projectArg, secondsArg } from "../shared-args";

function report(r: DownResult): void {
  if (r.problem) log.warn(`${r.problem}; nothing it names was trusted${r.problem.includes("unreadable") ? "" : " (remove the file if you did not put it there)"}`);
  if (r.nothing) {
    log.info(`nothing is running in ${r.root}`);
    return;
  }
  const left = r.stopped.length ? `; stopped what it left: ${r.stopped.join(", ")}` : "";
  if (r.supervisor === "stopped") log.info(`stopped loom in ${r.root}${left}`);
  else if (r.supervisor === "starting") log.info(`stopped the loom that was still starting in ${r.root}`);
  else if (r.supervisor === "killed") log.warn(`the supervisor in ${r.root} did not finish stopping in time and was killed${left}`);
  else if (r.stopped.length) log.warn(`the supervisor in ${r.root} was gone${left}`);
  else if (!r.problem) log.info(`cleaned up ${r.root} (nothing was left running)`);
  if (r.hunted.length) log.warn(`hunted down processes that had left their process group: ${r.hunted.join(", ")}`);
  for (const u of r.untouched) log.warn(`left alone ${u}: not a process loom can prove it started`);
}

export default loomCommand({
  meta: {
    name: "down",
    description: "Stop everything loom started in this project (or, with --all, in every project)",
    examples: ["loom down", "loom down --all", "loom down --grace 15"],
  },
  args: {
    ...projectArg,
    all: { type: "boolean", description: "Stop every project this user started with loom" },
    grace: { type: "string", description: "Seconds between SIGTERM and SIGKILL (default 5)", valueHint: "S" },
  },
  async run({ args }) {
    const graceMs = args.grace !== undefined ? secondsArg("grace", args.grace, 0, { zero: true }) * 1000 : undefined;
    let results: DownResult[];
    if (args.all) results = await downAll({ graceMs });
    else {
      results = [await downProject(projectRoot(args.project ?? process.cwd()), { graceMs })];
    }
    for (const r of results) report(r);
    const failed = results.flatMap((r) => r.failed.map((f) => `${f} in ${r.root}`));
    if (failed.length) throw new LoomError("PROCESS", `could not stop: ${failed.join(", ")}`, { hint: "they may belong to another user; stop them by hand" });
    const killed = results.filter((r) => r.supervisor === "killed").map((r) => r.root);
    if (killed.length)
      throw new LoomError("PROCESS", `the supervisor had to be killed in ${killed.join(", ")}`, {
        hint: "see .loom/logs/supervisor.log for what it was doing; `loom down --grace S` gives it longer",
      });
    if (args.all && results.length === 0) log.info("no project is running");
    return EXIT.ok;
  },
});
