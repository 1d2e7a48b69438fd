/**
 * Random hex and SHA-256 from the Web Crypto global and Bun's hasher: node:crypto costs 5–10 ms to
 * load, paid by every command, agent and Bridge that imported it for one of these (measured:
 * docs/benchmarks.md, "A new project's first answer").
 */

/** `n` random bytes as hex. */
export function randomHex(n: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex");
}

/** The SHA-256 of `text` as hex. */
export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}
