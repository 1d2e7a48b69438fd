import { loomCommand } from "../command";
import { projectRoot } from "../../config/root";
import { neutralize } from "../../logs/printer";
import { formatUptime } from "../../status/format";
import { liveProjectStatus } from "../../status/project";
import { jsonArg, projectArg } from "../shared-args";
import { EXIT } from "../../errors";

export default loomCommand({
  meta: { name: "status", description: "Show each process: state, pid, uptime, restarts, last exit, health", examples: ["loom status", "loom status --json"] },
  args: { ...projectArg, ...jsonArg },
  async run({ args }) {
    const root = projectRoot(args.project ?? process.cwd());
    // Live from the supervisor when it answers; the ledger file stays the fallback.
    const status = await liveProjectStatus(root);
    // Like `systemctl status`: 3 when not running, 1 when something runs badly (docs/supervision.md "Exit codes").
    const troubled = status.processes.some((p) => p.state === "crash-loop" || p.state === "failed" || p.health === "unhealthy" || p.health === "unreachable");
    const code = !status.running ? EXIT.notRunning : troubled ? EXIT.problems : EXIT.ok;
    if (args.json) {
      process.stdout.write(JSON.stringify(status, null, 2) + "\n");
      return code;
    }
    const problem = status.problem ? [`warning: ${status.problem}`] : [];
    if (!status.phase) {
      process.stdout.write([`loom is not running in ${status.root}`, ...problem].join("\n") + "\n");
      return code;
    }
    const head = status.running
      ? `loom ${status.phase} in ${status.root} (supervisor pid ${status.supervisorPid})${status.bridge ? `; bridge ${status.bridge}` : ""}${status.dashboard ? `, dashboard ${status.dashboard}` : ""}`
      : `loom is not running in ${status.root}: its supervisor (pid ${status.supervisorPid}) is gone${status.processes.some((p) => p.state === "orphaned") ? "; run `loom down` to stop what it left" : ""}`;
    const rows = [["NAME", "STATE", "PID", "UPTIME", "CPU", "MEM", "RESTARTS", "LAST EXIT", "HEALTH"]];
    for (const p of status.processes)
      rows.push([
        p.name,
        p.state,
        p.pid ? String(p.pid) : "-",
        formatUptime(p.uptimeSec) || "-",
        p.cpuPercent === undefined ? "-" : `${p.cpuPercent.toFixed(1)}%`,
        p.rssMb === undefined ? "-" : `${p.rssMb.toFixed(1)} MB`,
        String(p.restarts),
        p.lastExit ?? "-",
        p.health ?? "-",
      ]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    const lines = rows.map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
    const notes = status.processes.filter((p) => p.reason).map((p) => `${p.name}: ${p.reason}`);
    const dropped = status.dropped ? [`warning: ${status.dropped.writes} log or ledger writes were dropped (last: ${status.dropped.lastError})`] : [];
    const text = [
      head,
      ...(status.running && status.runtime ? [`runtime: ${status.runtime}`] : []),
      ...problem,
      ...(status.error ? [`error: ${status.error}`] : []),
      ...dropped,
      "",
      ...lines,
      ...notes,
    ].join("\n");
    // Terminal controls an agent's output may have put in a reason are shown, not obeyed.
    process.stdout.write(`${neutralize(text)}\n`);
    return code;
  },
});
