/**
 * protocol/wire.ts against protobufjs (what the Bridge and grpc-js clients use): for generated
 * messages of every kind loom.proto has, bytes either writes are read the same by the other, into
 * the same object (services.ts's CONVERSION), keys in the same order.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { WIRE_ENUMS, WIRE_MESSAGES } from "../../src/protocol/wire.generated";
import { CONVERSION, loomMethods, loomRoot, messageType } from "../../src/protocol/messages";
import { decode, encode } from "../../src/protocol/wire";

const text = fc.string({ unit: "binary", maxLength: 12 });

function arbitrary(type: string, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields = WIRE_MESSAGES[type]!;
  const value = (fieldType: string): fc.Arbitrary<unknown> => {
    if (fieldType === "string") return text;
    if (fieldType === "bytes") return fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b));
    if (fieldType === "bool") return fc.boolean();
    if (fieldType === "int32") return fc.integer();
    if (fieldType === "int64") return fc.maxSafeInteger();
    if (fieldType === "float") return fc.float({ noNaN: true }).map(Math.fround);
    if (WIRE_ENUMS[fieldType]) return fc.constantFrom(...Object.values(WIRE_ENUMS[fieldType]!));
    return depth > 2 ? fc.constant({}) : arbitrary(fieldType, depth + 1);
  };
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  const oneofs = new Map<string, string[]>();
  for (const [name, , fieldType, label, oneof] of fields) {
    if (oneof) oneofs.set(oneof, [...(oneofs.get(oneof) ?? []), name]);
    else record[name] = label === "repeated" ? fc.array(value(fieldType), { maxLength: 3 }) : label === "map" ? fc.dictionary(text, text, { maxKeys: 3 }) : value(fieldType);
  }
  const plain = fc.record(record, { requiredKeys: [] });
  if (oneofs.size === 0) return plain;
  const [members] = [...oneofs.values()];
  const member = fc.option(fc.constantFrom(...members!), { nil: undefined }).chain((name) => {
    if (!name) return fc.constant({});
    const fieldType = fields.find((f) => f[0] === name)![2];
    return value(fieldType).map((v) => ({ [name]: v }));
  });
  return fc.tuple(plain, member).map(([a, b]) => ({ ...a, ...b }));
}

const TYPES = [
  "Event",
  "ClientEvent",
  "ServerEvent",
  "ToolCall",
  "ToolResult",
  "AgentRegisterRequest",
  "AgentRegisterResponse",
  "HeartbeatResponse",
  "MemoryWriteRequest",
  "GetRecentPlansResponse",
];

for (const type of TYPES)
  test(`${type}: wire.ts and protobufjs write bytes the other reads as the same object`, () => {
    const reflected = messageType(type);
    const viaProtobufjs = (bytes: Uint8Array) => reflected.toObject(reflected.decode(bytes), CONVERSION);
    fc.assert(
      fc.property(arbitrary(type, 0), (message) => {
        const ours = encode(type, message);
        const theirs = reflected.encode(reflected.fromObject(message)).finish();
        const expected = viaProtobufjs(theirs);
        expect(viaProtobufjs(ours)).toEqual(expected);
        expect(decode(type, theirs)).toEqual(expected);
        expect(JSON.stringify(decode(type, ours))).toBe(JSON.stringify(expected));
      }),
      { numRuns: 300 },
    );
  });

test("bytes that are not a message are an error, never a hang or a wrong object", () => {
  expect(() => decode("Event", Uint8Array.from([0x0a, 0x05, 0x61]))).toThrow("runs past the message's end");
  expect(() => decode("Event", Uint8Array.from([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow("longer than ten bytes");
  expect(() => decode("Event", Uint8Array.from([0x0b]))).toThrow("wire type 3");
  // An unknown field is skipped, as protobufjs does.
  expect(decode("Ack", Uint8Array.from([0x50, 0x01, 0x0a, 0x01, 0x78]))).toEqual({ message_id: "x" });
});

test("the methods the Bridge serves with wire.ts's codec are loom.proto's, streams where it says so", () => {
  for (const service of ["Bridge", "MemoryService"] as const) {
    const served = loomMethods(service);
    const reflected = loomRoot().lookupService(`loom.v1.${service}`).methodsArray;
    expect(Object.keys(served).sort()).toEqual(reflected.map((m) => m.name).sort());
    for (const m of reflected) {
      const def = served[m.name]!;
      expect([def.path, def.requestStream, def.responseStream]).toEqual([`/loom.v1.${service}/${m.name}`, Boolean(m.requestStream), Boolean(m.responseStream)]);
    }
  }
});
