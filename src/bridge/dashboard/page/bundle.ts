/**
 * A Bun macro (imported `with { type: "macro" }`): the dashboard page as one HTML document, its
 * script (main.ts, bundled for browsers and minified) and style inlined, made when loom is compiled.
 * One response, nothing from a CDN, nothing read at run time. `bun build` runs as a process because
 * Bun.build cannot run inside a macro.
 */
import { readFileSync } from "node:fs";

export function pageHtml(): string {
  const dir = import.meta.dir;
  const r = Bun.spawnSync([process.execPath, "build", `${dir}/main.ts`, "--target=browser", "--format=esm", "--minify"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, BUN_BE_BUN: "1" },
  });
  if (r.exitCode !== 0) throw new Error(`bundling the dashboard page failed:\n${r.stderr}`);
  const script = r.stdout.toString().replaceAll("</script", "<\\/script");
  const style = readFileSync(`${dir}/style.css`, "utf8");
  return readFileSync(`${dir}/index.html`, "utf8")
    .replace("/*STYLE*/", () => style)
    .replace("/*SCRIPT*/", () => script);
}
