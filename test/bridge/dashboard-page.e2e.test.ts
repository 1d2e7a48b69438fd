/**
 * The dashboard page in a real browser (Debian's chromium, driven by playwright-core) against a
 * project run by dist/loom: processes and agents listed, an event published with `loom pub`
 * shown within a second, the restart button restarting the process, a test event published from
 * the page; and what the page's actions refuse (no token, another Host, another origin).
 * Assertions are on the DOM; a screenshot is saved to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "pathe";
import { type Browser, chromium } from "playwright-core";
import { ROOT } from "../helpers/loom";
import { loom, makeProject } from "../helpers/runtime";

const CHROMIUM = Bun.which("chromium") ?? Bun.which("chromium-browser");
const FREE = ["--bridge-port", "0", "--dashboard-port", "0"];
let browser: Browser | undefined;

beforeAll(async () => {
  if (CHROMIUM) browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
});
afterAll(async () => {
  await browser?.close();
});

async function running(): Promise<{ root: string; url: string }> {
  const root = makeProject(["idle.py", "echo.ts"], 'runtime = "embedded"\n');
  expect((await loom(["run", "--detach", ...FREE], root)).code).toBe(0);
  return { root, url: JSON.parse((await loom(["status", "--json"], root)).out).dashboard };
}

describe.skipIf(!CHROMIUM)("the dashboard page (chromium)", () => {
  test("lists processes and agents, shows a published event at once, restarts a process, publishes from the page", async () => {
    const { root, url } = await running();
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    try {
      await page.goto(url);
      for (const name of ["core", "idle", "echo"]) await page.waitForSelector(`#processes tr[data-process="${name}"][data-state="running"]`);
      await page.waitForSelector('#agents tr[data-agent="echo"]');

      expect((await loom(["pub", "echo.in", '{"n": 1}'], root)).code).toBe(0);
      await page.waitForSelector('#event-list li[data-topic="echo.in"]', { timeout: 1_000 }); // within a second of loom pub returning
      await page.waitForSelector('#flow tbody tr:has-text("echo.in")', { timeout: 3_000 }); // who publishes to whom
      // The request's trace, listed within a second, and its waterfall: the publish, its delivery to
      // echo, and echo's reply (the SDK continued the context).
      const traceRow = '#traces tbody tr:has-text("bridge.publish loom-pub")';
      await page.waitForSelector(traceRow, { timeout: 1_000 });
      await page.click(traceRow);
      await page.waitForSelector('#trace-detail li[data-span="bridge.forward"]:has-text("echo")', { timeout: 2_000 });
      await page.waitForSelector('#trace-detail li[data-span="bridge.publish"]:has-text("bridge.publish echo")', { timeout: 2_000 });
      await page.click('#event-list li[data-topic="echo.in"]');
      expect(await page.textContent('#event-list li[data-topic="echo.in"] pre')).toBe('{\n  "n": 1\n}');

      const pid = await page.getAttribute('#processes tr[data-process="idle"]', "data-pid");
      await page.click('#processes tr[data-process="idle"] button[data-action="restart"]');
      await page.waitForSelector('#processes tr[data-process="idle"][data-restarts="1"][data-state="running"]', { timeout: 10_000 });
      expect(await page.getAttribute('#processes tr[data-process="idle"]', "data-pid")).not.toBe(pid);
      expect(JSON.parse((await loom(["status", "--json"], root)).out).processes.find((p: { name: string }) => p.name === "idle").restarts).toBe(1);

      await page.fill('#publish-form input[name="topic"]', "echo.in");
      await page.fill('#publish-form textarea[name="payload"]', '{"from": "the page"}');
      await page.click('#publish-form button[type="submit"]');
      await page.waitForSelector("#event-list li[data-topic='agent.dashboard.replies']", { timeout: 2_000 }); // echo answered the page's event
      expect(await page.textContent("#publish-result")).toStartWith("published");

      expect(errors).toEqual([]); // from here on, the runtime's restart cuts the page's streams for a moment
      // The runtime's button: the page is served by the runtime, so it comes back from a new process
      // with a new token, which the page reads again for its next action.
      const core = await page.getAttribute('#processes tr[data-process="core"]', "data-pid");
      await page.click('#processes tr[data-process="core"] button[data-action="restart"]');
      await page.waitForFunction(
        (old) => {
          const row = document.querySelector('#processes tr[data-process="core"]');
          return row?.getAttribute("data-state") === "running" && row.getAttribute("data-pid") !== old;
        },
        core,
        { timeout: 15_000 },
      );
      await page.click('#processes tr[data-process="idle"] button[data-action="restart"]');
      await page.waitForSelector('#processes tr[data-process="idle"][data-restarts="2"][data-state="running"]', { timeout: 10_000 });

      await page.fill("#event-filter", "agent.");
      expect(await page.locator('#event-list li[data-topic="echo.in"]').count()).toBe(0);
      await page.waitForSelector('#log-list li:has-text("loom embedded Bridge: listening")');

      mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "test-artifacts/dashboard.png"), fullPage: true });
    } finally {
      await page.close();
    }
  });

  test("an operator's console at 1280×720: events and traces above the fold, a request's whole trace with the agent's span and logs, CLI clients folded, tool errors red, charts, a disconnected state that recovers", async () => {
    const talker = `import { Agent } from "loom:sdk";
await new Agent({ id: "talker", topics: ["talk.in"], async onEvent(ctx, topic, event) {
  console.log("handled " + topic);
  await ctx.reply(event, { type: "talk.out", payload: event.payload });
} }).run();
`;
    const root = makeProject([], 'runtime = "embedded"\n', { "agents/talker.ts": talker });
    // A port of its own, the same across `loom down` and the next `loom run`, so the open page finds loom again.
    const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = String(probe.port);
    probe.stop(true);
    const run = ["run", "--detach", "--wait-agents", "--bridge-port", "0", "--dashboard-port", port];
    expect((await loom(run, root)).code).toBe(0);
    const page = await browser!.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('#connection[data-state="up"]');
      for (let i = 0; i < 3; i++) expect((await loom(["pub", "talk.in", `{"i": ${i}}`, "--reply"], root)).code).toBe(0);
      expect((await loom(["call", "fs:read_file", '{"path": "nope.txt"}'], root)).code).toBe(5);
      await page.waitForSelector('#event-list li[data-kind="tool"].bad', { timeout: 3_000 }); // a failed tool call is red
      for (const section of ["#events", "#traces", "#processes"]) expect((await page.locator(section).boundingBox())!.y).toBeLessThan(720);

      // The latest request: the Bridge's spans and the agent's own, with its attributes, and what it logged meanwhile.
      const row = '#traces tbody tr:has-text("bridge.publish loom-pub")';
      await page.waitForSelector(row, { timeout: 2_000 });
      await page.click(row);
      await page.waitForSelector('#trace-detail li[data-span="agent.on_event"]:has-text("talker talk.in")', { timeout: 3_000 });
      await page.click('#trace-detail li[data-span="agent.on_event"]');
      expect(JSON.parse((await page.textContent('#trace-detail li[data-span="agent.on_event"] pre'))!)).toMatchObject({
        "service.name": "agent-talker",
        "agent.id": "talker",
        topic: "talk.in",
      });
      await page.waitForSelector('#trace-logs li:has-text("talker | handled talk.in")', { timeout: 3_000 });

      // Three `loom pub` clients are one folded line, not three dead agents; the flow says "loom CLI".
      await page.waitForFunction(() => /^\d+ loom pub\/sub clients? folded away/.test(document.querySelector("#cli-clients")?.textContent ?? ""), undefined, { timeout: 3_000 });
      await page.waitForSelector('#agents tr[data-agent="talker"]');
      expect(await page.locator('#agents tr[data-agent^="loom-pub-"]').count()).toBe(0);
      await page.waitForSelector('#flow tbody tr:has-text("loom CLI")', { timeout: 3_000 });
      await page.waitForSelector('#chart-list [data-chart="events/s"] polyline', { timeout: 6_000 });

      // loom goes away: the page says so plainly and keeps what it showed; it comes back by itself.
      expect((await loom(["down"], root)).code).toBe(0);
      await page.waitForSelector('#connection[data-state="down"]', { timeout: 5_000 });
      expect(await page.textContent("#connection")).toContain("loom is not reachable since");
      expect(await page.textContent("#notice")).not.toContain("Failed to fetch");
      expect(await page.evaluate(() => document.body.classList.contains("disconnected"))).toBe(true);
      expect((await loom(run, root)).code).toBe(0);
      await page.waitForSelector('#connection[data-state="up"]', { timeout: 10_000 });
      await page.waitForSelector('#processes tr[data-process="talker"][data-state="running"]', { timeout: 5_000 });
      expect(await page.textContent("#notice")).toContain("reconnected");
      mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "test-artifacts/dashboard-console.png") });
    } finally {
      await page.close();
      await loom(["down"], root);
    }
  });

  test("actions need the run's token, this Host and this origin; reads need neither token nor login", async () => {
    const { url } = await running();
    const control = (headers: Record<string, string>) =>
      fetch(`${url}/api/loom/control`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ cmd: "restart", names: ["idle"] }) });
    const { token } = (await (await fetch(`${url}/api/loom/session`)).json()) as { token: string };
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${url}/api/loom/processes`)).status).toBe(200);

    const none = await control({});
    expect(none.status).toBe(403);
    expect(await none.text()).toContain("missing or wrong x-loom-token header");
    expect((await control({ "x-loom-token": "guess" })).status).toBe(403);
    expect((await control({ "x-loom-token": token, host: "evil.example" })).status).toBe(403); // DNS rebinding: refused by the Host check
    expect((await control({ "x-loom-token": token, origin: "http://evil.example" })).status).toBe(403);
    expect((await control({ "x-loom-token": token, origin: "null" })).status).toBe(403); // a sandboxed page; not a URL
    expect((await fetch(url, { headers: { host: "evil.example" } })).status).toBe(403);
    const page = await fetch(url);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'sha256-");
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
    const ok = await control({ "x-loom-token": token });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { lines: string[] }).lines[0]).toMatch(/^idle: restarted/);
  });
});
