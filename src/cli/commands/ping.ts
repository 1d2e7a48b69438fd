import { loomCommand } from "../command";
import { LoomError } from "../../errors";
import { countArg, addressArg, projectArg, secondsArg } from "../shared-args";
import { EXIT } from "../../errors";

export default loomCommand({
  meta: {
    name: "ping",
    description: "Heartbeat round trips to the Bridge (this project's, LOOM_BRIDGE_ADDR, or --address), with their latency",
    examples: ["loom ping", "loom ping --count 10 --interval 0.2", "loom ping --address 127.0.0.1:50051"],
  },
  args: {
    ...projectArg,
    ...addressArg,
    count: { type: "string", alias: "c", description: "How many round trips (default 3)", valueHint: "N" },
    interval: { type: "string", description: "Seconds between them (default 1)", valueHint: "S" },
  },
  async run({ args }) {
    const count = countArg("count", args.count, 3);
    const interval = secondsArg("interval", args.interval, 1, { zero: true });
    const { bridgeTarget } = await import("../../client/address");
    const target = await bridgeTarget(args.project ?? process.cwd(), args.address);
    const address = target.shown;
    const { pingSession } = await import("../../client/ping");
    const session = pingSession(target.address, target.tls);
    const times: number[] = [];
    try {
      for (let i = 1; i <= count; i++) {
        const r = await session.ping(2_000);
        if (r.ok) times.push(r.ms);
        process.stdout.write(r.ok ? `heartbeat from ${address}: seq=${i} time=${r.ms.toFixed(2)} ms\n` : `no heartbeat from ${address}: seq=${i} ${r.detail}\n`);
        if (i < count) await Bun.sleep(interval * 1000);
      }
    } finally {
      session.close();
    }
    const summary = `${count} sent, ${times.length} answered${times.length ? `, min/avg/max ${Math.min(...times).toFixed(2)}/${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)}/${Math.max(...times).toFixed(2)} ms` : ""}`;
    process.stdout.write(`--- ${address} ---\n${summary}\n`);
    if (times.length === 0) throw new LoomError("PROCESS", `the Bridge at ${address} did not answer`, { hint: "is it running? `loom status`, or `loom up --detach`" });
    return times.length < count ? EXIT.problems : EXIT.ok;
  },
});
