/** Replays corpus.json: inputs that once reached "a bug in loom", each refused by loom's own rule. */
import { expect, test } from "bun:test";
import { checkEntry } from "../../src/binaries/archive/archive-entry";
import { ToolFailure, parseArguments } from "../../src/bridge/tools/tool-registry";
import { parseDotenv } from "../../src/config/env/dotenv";
import { isLoomError } from "../../src/errors";
import { hostPort, parseAddress } from "../../src/net/address";
import { parseControlRequest } from "../../src/state/control";
import corpus from "./corpus.json";

test.each(corpus.addresses)("address %p is refused with a message naming it", (text) => {
  expect(parseAddress(text)).toBeUndefined();
  expect(() => hostPort(text, "--address")).toThrow(`--address ${JSON.stringify(text)} is not host:port`);
});

test.each(corpus.controlLines)("control line %p is refused as a USAGE error", (line) => {
  expect(parseControlRequest(line)).toMatchObject({ reply: { ok: false, code: "USAGE" } });
});

test.each(corpus.toolArguments)("tool arguments %p are INVALID_ARGUMENTS", (text) => {
  let error: unknown;
  try {
    parseArguments(text);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ToolFailure);
});

test.each(corpus.archiveEntries)("archive entry %p refuses the archive", (name) => {
  let error: unknown;
  try {
    checkEntry("a.tar.gz", name, "file");
  } catch (e) {
    error = e;
  }
  expect(isLoomError(error) && error.code === "VERIFY").toBe(true);
});

test.each(corpus.envFiles)(".env text %p parses without throwing", (text) => {
  expect(typeof parseDotenv(text)).toBe("object");
});
