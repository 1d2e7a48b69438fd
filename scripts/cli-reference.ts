/** Writes docs/cli.md from the command definitions (src/cli/usage.ts); a test fails when it is stale. */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { main } from "../src/cli/main";
import { cliReference } from "../src/cli/usage";

const out = resolve(import.meta.dir, "../docs/cli.md");
writeFileSync(out, await cliReference(main));
console.log(`wrote ${out}`);
