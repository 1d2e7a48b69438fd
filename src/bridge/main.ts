/**
 * `loom __bridge`: the embedded Bridge as its own supervised process, reading the runtime's
 * environment as the native one does (LOOM_BRIDGE_ADDR must be an IP literal and port, else exit
 * 1; LOOM_DASHBOARD=true adds the dashboard's JSON endpoints). No signal handlers: SIGTERM ends it.
 */
import { isIP } from "node:net";
import { PAGEOUT_AFTER_MS } from "../orchestrator/constants";
import { splitAddress } from "../orchestrator/ports";
import { releaseFilePages } from "../system/libc";
import { serveDashboard } from "./dashboard";
import { EmbeddedBridge } from "./server";
import { builtinTools } from "./tools";

export async function runEmbeddedBridge(env: Record<string, string | undefined> = process.env): Promise<void> {
  const address = env.LOOM_BRIDGE_ADDR ?? "0.0.0.0:50051";
  const parsed = /^(.*):(\d{1,5})$/.test(address) ? splitAddress(address) : undefined;
  if (!parsed || !isIP(parsed.host)) {
    console.error(`loom embedded Bridge: invalid LOOM_BRIDGE_ADDR ${JSON.stringify(address)}: an IP address and port are needed`);
    process.exit(1);
  }
  // The working directory is the project root: the fs:* tools' workspace, as upstream's.
  const bridge = new EmbeddedBridge(builtinTools(process.cwd(), env, (line) => console.error(`loom embedded Bridge: ${line}`)));
  await bridge.listen(address);
  console.log(`loom embedded Bridge: listening on ${address}`);
  // As the supervisor does: the start-up code's pages of the executable go back to the kernel;
  // what serving uses is faulted back in (system/libc.ts).
  setTimeout(() => releaseFilePages(), PAGEOUT_AFTER_MS).unref();
  if (env.LOOM_DASHBOARD === "true") {
    const dash = serveDashboard(bridge, env.LOOM_DASHBOARD_HOST ?? "127.0.0.1", Number(env.LOOM_DASHBOARD_PORT ?? 3030));
    console.log(`loom embedded Bridge: dashboard API on http://${dash.hostname}:${dash.port}`);
  }
}
