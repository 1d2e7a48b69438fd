/**
 * The dashboard page in Debian's chromium (playwright-core), against `loom up --detach` with the
 * embedded Bridge:
 * - bytes shipped for the page (raw and gzipped), and time to first render (navigation until the
 *   processes table is filled), against a static page of the same size served by Bun (the floor);
 * - events/s the page keeps up with: an agent publishes at 100, 1,000 and 3,000 events/s for 5 s;
 *   what the page counted, and its frames while it did (p95 and max gap between animation frames:
 *   16.7 ms is a frame; the idle page is the floor).
 * Run: bun run build && bun bench/page.ts (needs chromium)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "pathe";
import { chromium } from "playwright-core";
import { Agent } from "../src/sdk";
import { fmt, median, table } from "./lib";

const LOOM = join(resolve(import.meta.dir, ".."), "dist/loom");
const work = mkdtempSync(join(tmpdir(), "loom-bench-page-"));
writeFileSync(join(work, "loom.toml"), 'name = "bench"\n[bridge]\nruntime = "embedded"\n');
const loom = (...args: string[]) => Bun.spawnSync([LOOM, ...args], { cwd: work, env: { ...process.env, NO_COLOR: "1" } });
if (loom("up", "--detach", "--bridge-port", "0", "--dashboard-port", "0").exitCode !== 0) throw new Error("loom up failed");
const status = JSON.parse(loom("status", "--json").stdout.toString());
const url: string = status.dashboard;
const browser = await chromium.launch({ executablePath: Bun.which("chromium")!, args: ["--no-sandbox", "--disable-gpu"] });
try {
  const html = await (await fetch(url)).text();
  const floor = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => new Response(`<!doctype html><title>x</title><table><tr id="done"><td>${"x".repeat(html.length)}</td></tr></table>`, { headers: { "content-type": "text/html" } }),
  });
  const firstRender = async (target: string, selector: string) => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const page = await browser.newPage();
      const t = performance.now();
      await page.goto(target);
      await page.waitForSelector(selector);
      times.push(performance.now() - t);
      await page.close();
    }
    return median(times);
  };
  const pageMs = await firstRender(url, '#processes tr[data-process="core"]');
  const floorMs = await firstRender(floor.url.href, "#done");
  floor.stop(true);

  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('#processes tr[data-process="core"]');
  const frames = async (ms: number) =>
    page.evaluate(
      (ms) =>
        new Promise<{ p95: number; max: number }>((done) => {
          const gaps: number[] = [];
          let last = performance.now();
          const end = last + ms;
          const tick = (now: number) => {
            gaps.push(now - last);
            last = now;
            if (now < end) requestAnimationFrame(tick);
            else {
              gaps.sort((a, b) => a - b);
              done({ p95: gaps[Math.floor(gaps.length * 0.95)]!, max: gaps[gaps.length - 1]! });
            }
          };
          requestAnimationFrame(tick);
        }),
      ms,
    );
  const idle = await frames(3_000);
  const publisher = new Agent({ id: "flood", address: status.bridge, log: () => {} });
  await publisher.start();
  const seen = async () => Number(/(\d+) seen/.exec((await page.textContent("#event-count")) ?? "")?.[1] ?? 0);
  const rows: (string | number)[][] = [
    ["events/s sent for 5 s", "counted by the page", "frame gap p95 ms", "frame gap max ms"],
    ["0 (idle, the floor)", "-", fmt(idle.p95, 1), fmt(idle.max, 1)],
  ];
  for (const rate of [100, 1_000, 3_000]) {
    const before = await seen();
    const measuring = frames(5_000);
    const start = performance.now();
    let sent = 0;
    while (performance.now() - start < 5_000) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      for (; sent < due; sent++) void publisher.ctx.emit("bench.flood", { type: "tick", payload: { n: sent, text: "x".repeat(100) } });
      await Bun.sleep(5);
    }
    const f = await measuring;
    await Bun.sleep(1_000);
    rows.push([rate, `${(await seen()) - before} of ${sent}`, fmt(f.p95, 1), fmt(f.max, 1)]);
  }
  await publisher.stop();
  console.log(`page: ${html.length} bytes, ${Bun.gzipSync(new TextEncoder().encode(html)).length} gzipped`);
  console.log(
    table([
      ["first render, median of 7", "ms", "/ floor"],
      ["the page (processes listed)", fmt(pageMs), fmt(pageMs / floorMs, 2)],
      ["static page of the same size (floor)", fmt(floorMs), "1.00"],
    ]),
  );
  console.log(table(rows));
} finally {
  await browser.close();
  loom("down");
  rmSync(work, { recursive: true, force: true });
}
