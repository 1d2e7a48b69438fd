/**
 * The protobuf codec of loom's clients (the CLI's pub/sub/call and the TypeScript SDK), driven by
 * the tables scripts/gen-protocol.ts generates from loom.proto. protobufjs's reflection parses the
 * .proto and generates its codecs at run time: 20 ms of an agent's start and 10 of `loom pub`
 * (measured: docs/benchmarks.md "A new project's first answer"), for a dozen messages. What it
 * gives is what protobufjs gives with services.ts's CONVERSION (test/protocol/wire.unit.test.ts
 * checks both ways): absent scalars as their defaults, int64 as a number, enums by name, an unset
 * message field null (a oneof's left out, its name saying which is set), unknown fields skipped.
 */
import { type WireField, WIRE_ENUMS, WIRE_MESSAGES, WIRE_METHODS } from "./wire.generated";

const VARINT = 0;
const FIXED64 = 1;
const DELIMITED = 2;
const FIXED32 = 5;

const WIRE_OF: Record<string, number> = { string: DELIMITED, bytes: DELIMITED, float: FIXED32, bool: VARINT, int32: VARINT, int64: VARINT };

class Writer {
  readonly parts: Uint8Array[] = [];
  length = 0;
  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  varint(value: number): void {
    // Negative numbers are ten bytes, as two's complement in 64 bits (int32 and int64 alike).
    let v = value >= 0 && value < 2 ** 31 ? value : BigInt.asUintN(64, BigInt(Math.trunc(value)));
    const out: number[] = [];
    if (typeof v === "number") {
      while (v > 0x7f) {
        out.push((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      out.push(v);
    } else {
      while (v > 0x7fn) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      out.push(Number(v));
    }
    this.push(Uint8Array.from(out));
  }
  tag(number: number, wire: number): void {
    this.varint(number * 8 + wire);
  }
  bytes(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.push(bytes);
  }
  float(value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
  }
  finish(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

const utf8 = new TextEncoder();

function enumNumber(type: string, value: unknown): number {
  if (typeof value === "number") return value;
  const found = Object.entries(WIRE_ENUMS[type]!).find(([, name]) => name === value);
  return found ? Number(found[0]) : 0;
}

function writeValue(w: Writer, [, number, type]: WireField, value: unknown): void {
  w.tag(number, WIRE_OF[type] ?? (WIRE_ENUMS[type] ? VARINT : DELIMITED));
  if (type === "string") w.bytes(utf8.encode(String(value)));
  else if (type === "bytes") w.bytes(typeof value === "string" ? Buffer.from(value, "base64") : value instanceof Uint8Array ? value : Uint8Array.from(value as ArrayLike<number>));
  else if (type === "bool") w.varint(value ? 1 : 0);
  else if (type === "float") w.float(Number(value));
  else if (type === "int32" || type === "int64") w.varint(Number(value));
  else if (WIRE_ENUMS[type]) w.varint(enumNumber(type, value));
  else w.bytes(encode(type, value as object));
}

/** `message` (loom.proto's field names) as protobuf bytes; fields left out, null or undefined are not written. */
export function encode(type: string, message: object): Buffer {
  const w = new Writer();
  const values = message as Record<string, unknown>;
  for (const field of WIRE_MESSAGES[type]!) {
    const value = values[field[0]];
    if (value === undefined || value === null) continue;
    if (field[3] === "repeated") for (const item of value as unknown[]) writeValue(w, field, item);
    else if (field[3] === "map")
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const entry = new Writer();
        entry.tag(1, DELIMITED);
        entry.bytes(utf8.encode(k));
        entry.tag(2, DELIMITED);
        entry.bytes(utf8.encode(String(v)));
        w.tag(field[1], DELIMITED);
        w.bytes(entry.finish());
      }
    else writeValue(w, field, value);
  }
  return w.finish();
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new Error("a varint runs past the message's end");
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, result);
    }
    throw new Error("a varint is longer than ten bytes");
  }
  /** The same as varint() for values under 2^31 (tags, lengths, most numbers), without BigInt. */
  small(): number {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error("a varint runs past the message's end");
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    this.pos = start;
    return Number(this.varint());
  }
  delimited(): Uint8Array {
    const length = this.small();
    if (length < 0 || this.pos + length > this.buf.length) throw new Error("a field runs past the message's end");
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  float(): number {
    if (this.pos + 4 > this.buf.length) throw new Error("a float runs past the message's end");
    const value = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return value;
  }
  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === DELIMITED) this.delimited();
    else if (wire === FIXED64 || wire === FIXED32) {
      this.pos += wire === FIXED64 ? 8 : 4;
      if (this.pos > this.buf.length) throw new Error("a field runs past the message's end");
    } else throw new Error(`wire type ${wire} is not one loom reads`);
  }
}

const utf8Text = new TextDecoder();
const SCALAR_DEFAULTS: Record<string, () => unknown> = { string: () => "", bytes: () => Buffer.alloc(0), bool: () => false, int32: () => 0, int64: () => 0, float: () => 0 };

function readValue(r: Reader, type: string, wire: number): unknown {
  const expected = WIRE_OF[type] ?? (WIRE_ENUMS[type] ? VARINT : DELIMITED);
  if (wire !== expected) throw new Error(`a ${type} field arrived with wire type ${wire}`);
  if (type === "string") return utf8Text.decode(r.delimited());
  if (type === "bytes") return Buffer.from(r.delimited());
  if (type === "float") return r.float();
  if (type === "bool") return r.varint() !== 0n;
  if (type === "int32") return Number(BigInt.asIntN(32, r.varint()));
  if (type === "int64") return Number(BigInt.asIntN(64, r.varint()));
  const names = WIRE_ENUMS[type];
  if (names) {
    const n = Number(BigInt.asIntN(32, r.varint()));
    return names[n] ?? n;
  }
  return decode(type, r.delimited());
}

function mapEntry(bytes: Uint8Array): [string, string] {
  const r = new Reader(bytes);
  let [key, value] = ["", ""];
  while (!r.done) {
    const tag = r.small();
    if (tag >> 3 === 1 && (tag & 7) === DELIMITED) key = utf8Text.decode(r.delimited());
    else if (tag >> 3 === 2 && (tag & 7) === DELIMITED) value = utf8Text.decode(r.delimited());
    else r.skip(tag & 7);
  }
  return [key, value];
}

/** Protobuf bytes of `type` as an object; throws on bytes that are not such a message. */
export function decode<T = Record<string, unknown>>(type: string, bytes: Uint8Array): T {
  const fields = WIRE_MESSAGES[type]!;
  const out: Record<string, unknown> = {};
  // Keys in protobufjs's toObject order: lists, maps, then the rest with their defaults.
  for (const [name, , , label] of fields) if (label === "repeated") out[name] = [];
  for (const [name, , , label] of fields) if (label === "map") out[name] = {};
  for (const [name, , fieldType, label, oneof] of fields)
    if (!label && !oneof) out[name] = SCALAR_DEFAULTS[fieldType]?.() ?? (WIRE_ENUMS[fieldType] ? WIRE_ENUMS[fieldType][0] : null);
  const r = new Reader(bytes);
  while (!r.done) {
    const tag = r.small();
    const field = fields.find((f) => f[1] === tag >> 3);
    if (!field) {
      r.skip(tag & 7);
      continue;
    }
    const [name, , fieldType, label, oneof] = field;
    if (label === "map") {
      const [k, v] = mapEntry(r.delimited());
      // An own key whatever its name ("__proto__" too), as protobufjs keeps it.
      Object.defineProperty(out[name], k, { value: v, enumerable: true, writable: true, configurable: true });
    } else if (label === "repeated") (out[name] as unknown[]).push(readValue(r, fieldType, tag & 7));
    else {
      out[name] = readValue(r, fieldType, tag & 7);
      if (oneof) out[oneof] = name;
    }
  }
  return out as T;
}

export interface WireMethod<Res> {
  path: string;
  requestSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

const methods = new Map<string, WireMethod<unknown>>();

/** A method of `loom.v1.<service>` as client/h2-grpc.ts calls it (made once per process), or undefined. */
export function wireMethod<Res = Record<string, unknown>>(service: "Bridge" | "MemoryService", name: string): WireMethod<Res> | undefined {
  const types = Object.hasOwn(WIRE_METHODS[service]!, name) ? WIRE_METHODS[service]![name] : undefined;
  if (!types) return undefined;
  const path = `/loom.v1.${service}/${name}`;
  const method = methods.get(path) ?? { path, requestSerialize: (value: object) => encode(types[0], value), responseDeserialize: (bytes: Buffer) => decode(types[1], bytes) };
  methods.set(path, method);
  return method as WireMethod<Res>;
}
