/** How downloads look: a bar on a terminal, a couple of plain lines elsewhere (CI logs). */
import type { InstallHooks } from "../binaries/install";
import { log } from "./log";

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function installHooks(stream: NodeJS.WriteStream = process.stderr): InstallHooks {
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let lastDraw = 0;
  return {
    onInfo: (m) => log.info(m),
    onWarn: (m) => log.warn(m),
    onRetry: (m) => log.warn(m),
    onProgress: (asset, { received, total }) => {
      if (!tty || Date.now() - lastDraw < 100) return;
      lastDraw = Date.now();
      const width = 30;
      const ratio = total ? Math.min(received / total, 1) : 0;
      const bar = total ? `[${"#".repeat(Math.round(ratio * width)).padEnd(width, "-")}] ${Math.round(ratio * 100)}% ` : "";
      stream.write(`\r${asset} ${bar}${mb(received)}${total ? ` / ${mb(total)}` : ""}\x1b[K`);
    },
    onDone: (asset, size, ms) => {
      if (tty) stream.write("\r\x1b[K");
      log.info(`downloaded ${asset} (${mb(size)} in ${(ms / 1000).toFixed(1)}s), checksum verified next`);
    },
  };
}
