#!/usr/bin/env bun
/** Entry point of the `loom` executable. */
import { runCli } from "./runner";

process.exitCode = await runCli(process.argv.slice(2));
