/**
 * gRPC's length-prefixed messages on an HTTP/2 stream: one flag byte (1 = compressed), four bytes
 * of length, the message. Shared by loom's clients (client/h2-grpc.ts) and the embedded Bridge's
 * server (grpc-server.ts).
 */

/** grpc-js's default limit for a message received, which loom keeps on both ends. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** One message framed. */
export function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/** A frame the reader will not take: compressed (nobody asked for it here), or over the limit. */
export class FrameError extends Error {
  constructor(
    readonly kind: "compressed" | "too-large",
    /** The frame's declared length. */
    readonly length: number,
  ) {
    super(kind === "compressed" ? "a compressed message, which loom did not ask for" : `a message of ${length} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`);
  }
}

/**
 * Splits a stream's bytes into its messages; throws a FrameError on an oversized frame, or a
 * compressed one unless `compressed` takes them, as soon as its header says so (before its bytes
 * are held). A frame's chunks are joined once it is whole (joining at each chunk copied a 4 MB
 * message hundreds of times).
 */
export function frameReader(onMessage: (bytes: Buffer) => void, maxBytes = MAX_MESSAGE_BYTES, compressed?: (bytes: Buffer) => void): (chunk: Buffer) => void {
  let chunks: Buffer[] = [];
  let held = 0;
  return (chunk) => {
    chunks.push(chunk);
    held += chunk.length;
    while (held >= 5) {
      if (chunks[0]!.length < 5) chunks = [Buffer.concat(chunks, held)];
      const head = chunks[0]!;
      const length = head.readUInt32BE(1);
      if (head[0] !== 0 && !compressed) throw new FrameError("compressed", length);
      if (length > maxBytes) throw new FrameError("too-large", length);
      if (held < 5 + length) break;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, held);
      (all[0] === 0 ? onMessage : compressed!)(all.subarray(5, 5 + length));
      const rest = all.subarray(5 + length);
      chunks = rest.length ? [rest] : [];
      held = rest.length;
    }
  };
}
