/**
 * A release server on loopback that lies the way a broken mirror or an attacker would: each
 * `loom install` gets its own lie, chosen by the first path segment of its base URL. Lies: wrong
 * status codes, redirects that loop, checksums that do not match or do not parse, bodies cut
 * short or stalled, gzip that is not, and tar archives with hostile entries (links, `..`,
 * absolute names, devices, huge sizes).
 */
import fc from "fast-check";
import { platformTag } from "../../src/binaries/platform";
import { tar } from "../../test/fixtures/make-archive";

const TAG = platformTag();
const VERSION = "0.1.0";
/** The entries of a real release; with them (and honest answers) an install succeeds. */
const REAL = [
  { name: "loom-core", type: "0" as const },
  { name: "loom-bridge", type: "0" as const },
];

type Body = { kind: "ok" } | { kind: "status"; status: number } | { kind: "loop" } | { kind: "stall" } | { kind: "bytes"; bytes: Uint8Array } | { kind: "cut"; keep: number };

export interface Lie {
  latest: Body;
  checksums: Body;
  checksum: { kind: "right" } | { kind: "wrong" } | { kind: "text"; text: string };
  asset: Body;
  entries: { name: string; type: "0" | "1" | "2" | "3" | "5" | "6" | "x"; size?: number }[];
}

const body = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Body>({ kind: "ok" }) },
  fc.constantFrom(200, 204, 301, 302, 403, 404, 416, 429, 500, 503).map((status): Body => ({ kind: "status", status })),
  fc.constant<Body>({ kind: "loop" }),
  fc.constant<Body>({ kind: "stall" }),
  fc.uint8Array({ maxLength: 600 }).map((bytes): Body => ({ kind: "bytes", bytes })),
  fc.nat({ max: 400 }).map((keep): Body => ({ kind: "cut", keep })),
);

const entryName = fc.oneof(
  fc.constantFrom("loom-core", "loom-bridge", "loom-bridge-server", "../loom-core", "/tmp/x", "a/../../b", "C:\\x", "./", "a\\b", "dir/loom-core"),
  fc.string({ maxLength: 12 }),
);

export const lie: fc.Arbitrary<Lie> = fc.record({
  latest: body,
  checksums: body,
  checksum: fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: "right" as const }) },
    fc.constant({ kind: "wrong" as const }),
    fc.string({ maxLength: 80 }).map((text) => ({ kind: "text" as const, text })),
  ),
  asset: body,
  entries: fc
    .tuple(
      fc.boolean(),
      fc.array(
        fc.record({ name: entryName, type: fc.constantFrom("0", "0", "0", "1", "2", "3", "5", "6", "x"), size: fc.option(fc.constantFrom(0, 10, 2 ** 33), { nil: undefined }) }),
        { maxLength: 2 },
      ),
    )
    .map(([real, more]) => [...(real ? REAL : []), ...more]),
});

const archives = new WeakMap<Lie, Uint8Array>();
function archiveOf(l: Lie): Uint8Array {
  const made = archives.get(l);
  if (made) return made;
  const entries = l.entries.map((e) => ({ name: e.name, data: Buffer.from("#!/bin/sh\necho lie\n"), mode: 0o755, type: e.type, size: e.size }));
  const archive = Bun.gzipSync(new Uint8Array(tar(entries as Parameters<typeof tar>[0])));
  archives.set(l, archive);
  return archive;
}

function answer(b: Body, full: () => Uint8Array | string, url: URL): Response | Promise<Response> {
  switch (b.kind) {
    case "ok":
      return new Response(full() as BodyInit);
    case "status":
      return new Response(b.status < 300 ? (full() as BodyInit) : "no", { status: b.status, headers: b.status < 400 ? { location: url.pathname } : {} });
    case "loop":
      return new Response(null, { status: 302, headers: { location: url.pathname } });
    case "stall":
      return new Promise<Response>(() => {}); // loom's connect timeout ends it
    case "bytes":
      return new Response(b.bytes as BodyInit);
    case "cut": {
      const all = full();
      const bytes = typeof all === "string" ? Buffer.from(all) : all;
      return new Response(bytes.slice(0, Math.min(b.keep, bytes.length)) as BodyInit);
    }
  }
}

export function serveLies(lies: Lie[]): { url: string; stop(): void } {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    fetch(req) {
      const url = new URL(req.url);
      const [, id, ...rest] = url.pathname.split("/");
      const l = lies[Number(id)];
      const file = rest.join("/");
      if (!l) return new Response("no such lie", { status: 404 });
      const asset = archiveOf(l);
      const hex = new Bun.CryptoHasher("sha256").update(asset).digest("hex");
      const sum = (name: string) => (l.checksum.kind === "right" ? `${hex}  ${name}\n` : l.checksum.kind === "wrong" ? `${"0".repeat(64)}  ${name}\n` : l.checksum.text);
      if (file === "latest.txt") return answer(l.latest, () => `${VERSION}\n`, url);
      if (file.endsWith("checksums.txt")) return answer(l.checksums, () => ["loom-core", "loom-bridge"].map((n) => sum(`${n}-${VERSION}-${TAG}.tar.gz`)).join(""), url);
      if (file.endsWith(".sha256"))
        return answer(
          l.checksums,
          () =>
            sum(
              file
                .split("/")
                .pop()!
                .replace(/\.sha256$/, ""),
            ),
          url,
        );
      if (file.endsWith(".tar.gz") || file.endsWith(".zip")) return answer(l.asset, () => asset, url);
      return new Response("Not Found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}
