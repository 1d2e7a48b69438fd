/**
 * Generates src/protocol/loom.generated.ts, the TypeScript types of loom.proto's messages and
 * clients, from the .proto itself (protobufjs reflection): types only, the wire code stays
 * protobufjs's at run time (src/protocol/services.ts). Shapes follow services.ts's CONVERSION:
 * field names as written, int64 as number, enums by name, a oneof's name says which field is set.
 * Two shapes per message: `X` as decoded (every scalar, list and map present, a message field
 * possibly null, a oneof's members optional) and `XInit` as sent (every field optional).
 *
 * `bun scripts/gen-protocol.ts` writes the file (scripts/build.ts runs it); `--check` exits 1 when
 * the file is not what loom.proto gives (npm test runs that).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import protobuf from "protobufjs";

const PROTO = resolve(import.meta.dir, "../src/protocol/loom.proto");
export const GENERATED = resolve(import.meta.dir, "../src/protocol/loom.generated.ts");

const SCALARS: Record<string, string> = {
  double: "number",
  float: "number",
  int32: "number",
  uint32: "number",
  sint32: "number",
  fixed32: "number",
  sfixed32: "number",
  int64: "number",
  uint64: "number",
  sint64: "number",
  fixed64: "number",
  sfixed64: "number",
  bool: "boolean",
  string: "string",
  bytes: "Uint8Array",
};

function fieldType(field: protobuf.Field, init: boolean): string {
  field.resolve();
  const resolved = field.resolvedType;
  const one = resolved ? `${resolved.name}${init && resolved instanceof protobuf.Type ? "Init" : ""}` : SCALARS[field.type];
  if (!one) throw new Error(`${field.fullName}: no TypeScript type for ${field.type}`);
  if (field instanceof protobuf.MapField) return `Record<string, ${one}>`;
  return field.repeated ? `${one}[]` : one;
}

function message(type: protobuf.Type, init: boolean): string {
  const lines = [`export interface ${type.name}${init ? "Init" : ""} {`];
  for (const field of type.fieldsArray) {
    const single = field.resolvedType instanceof protobuf.Type && !field.repeated && !field.map;
    const optional = init || Boolean(field.partOf);
    lines.push(`  ${field.name}${optional ? "?" : ""}: ${fieldType(field, init)}${single && !init && !field.partOf ? " | null" : ""};`);
  }
  for (const oneof of type.oneofsArray)
    lines.push(`  /** Which of ${oneof.fieldsArray.map((f) => f.name).join(", ")} is set. */`, `  ${oneof.name}?: ${oneof.fieldsArray.map((f) => `"${f.name}"`).join(" | ")};`);
  lines.push("}");
  return lines.join("\n");
}

function service(svc: protobuf.Service): string {
  const client = `${svc.name}Client`;
  const lines = [`export interface ${client} extends grpc.Client {`];
  for (const m of svc.methodsArray) {
    m.resolve();
    const [req, res] = [`${m.resolvedRequestType!.name}Init`, m.resolvedResponseType!.name];
    if (m.requestStream && m.responseStream) lines.push(`  ${m.name}(options?: grpc.CallOptions): grpc.ClientDuplexStream<${req}, ${res}>;`);
    else if (m.requestStream) lines.push(`  ${m.name}(options: grpc.CallOptions, callback: grpc.requestCallback<${res}>): grpc.ClientWritableStream<${req}>;`);
    else if (m.responseStream) lines.push(`  ${m.name}(request: ${req}, options?: grpc.CallOptions): grpc.ClientReadableStream<${res}>;`);
    else
      lines.push(
        `  ${m.name}(request: ${req}, callback: grpc.requestCallback<${res}>): grpc.ClientUnaryCall;`,
        `  ${m.name}(request: ${req}, options: grpc.CallOptions, callback: grpc.requestCallback<${res}>): grpc.ClientUnaryCall;`,
      );
  }
  lines.push("}", "");
  lines.push(
    `export type ${svc.name}Constructor = (new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ClientOptions>) => ${client}) & { service: grpc.ServiceDefinition };`,
  );
  lines.push(`/** grpc-js's generic constructor for ${svc.name}, typed (it makes a client with exactly these methods). */`);
  lines.push(`export const typed${svc.name} = (generic: grpc.ServiceClientConstructor): ${svc.name}Constructor => generic as unknown as ${svc.name}Constructor;`);
  return lines.join("\n");
}

/** loom.proto as data for protocol/wire.ts (the clients' codec): fields, enums and methods. */
function wireTables(pkg: protobuf.Namespace): string {
  const messages: string[] = [];
  const enums: string[] = [];
  const services: string[] = [];
  for (const nested of pkg.nestedArray) {
    if (nested instanceof protobuf.Enum) enums.push(`  ${nested.name}: ${JSON.stringify(Object.fromEntries(Object.entries(nested.values).map(([k, v]) => [v, k])))},`);
    else if (nested instanceof protobuf.Type) {
      const fields = nested.fieldsArray.map((f) => {
        f.resolve();
        const type = f.resolvedType ? f.resolvedType.name : f.type;
        if (!f.resolvedType && !WIRE_SCALARS.has(type)) throw new Error(`${f.fullName}: protocol/wire.ts has no codec for ${type}`);
        if (f instanceof protobuf.MapField && (f.keyType !== "string" || type !== "string")) throw new Error(`${f.fullName}: protocol/wire.ts has maps of strings only`);
        const label = f instanceof protobuf.MapField ? "map" : f.repeated ? "repeated" : "";
        if (label === "repeated" && WIRE_SCALARS.has(type) && type !== "string" && type !== "bytes") throw new Error(`${f.fullName}: protocol/wire.ts does not read packed lists`);
        return JSON.stringify([f.name, f.id, type, label, ...(f.partOf ? [f.partOf.name] : [])]);
      });
      messages.push(`  ${nested.name}: [${fields.join(", ")}],`);
    } else if (nested instanceof protobuf.Service) {
      const methods = nested.methodsArray.map((m) => `${m.name}: ${JSON.stringify([m.requestType, m.responseType])}`);
      services.push(`  ${nested.name}: { ${methods.join(", ")} },`);
    }
  }
  return [
    '/** A field as protocol/wire.ts reads it: name, number, scalar/enum/message type, repeated or map, its oneof. */\nexport type WireField = readonly [name: string, number: number, type: string, label: "" | "repeated" | "map", oneof?: string];',
    `export const WIRE_MESSAGES: Record<string, readonly WireField[]> = {\n${messages.join("\n")}\n};`,
    `export const WIRE_ENUMS: Record<string, Record<number, string>> = {\n${enums.join("\n")}\n};`,
    `/** Each method's request and response message. */\nexport const WIRE_METHODS: Record<string, Record<string, readonly [string, string]>> = {\n${services.join("\n")}\n};`,
  ].join("\n\n");
}

const WIRE_SCALARS = new Set(["string", "bytes", "bool", "int32", "int64", "float"]);

export function generate(): string {
  const root = protobuf.parse(readFileSync(PROTO, "utf8"), { keepCase: true }).root;
  root.resolveAll();
  const pkg = root.lookup("loom.v1") as protobuf.Namespace;
  const parts = ["// Generated by scripts/gen-protocol.ts from src/protocol/loom.proto: do not edit, run `bun scripts/build.ts`.", 'import type * as grpc from "@grpc/grpc-js";'];
  for (const nested of pkg.nestedArray) {
    if (nested instanceof protobuf.Enum)
      parts.push(
        `export type ${nested.name} = ${Object.keys(nested.values)
          .map((k) => `"${k}"`)
          .join(" | ")};`,
      );
    else if (nested instanceof protobuf.Type) parts.push(message(nested, false), message(nested, true));
    else if (nested instanceof protobuf.Service) parts.push(service(nested));
  }
  parts.push(wireTables(pkg));
  return `${parts.join("\n\n")}\n`;
}

if (import.meta.main) {
  const text = generate();
  if (process.argv.includes("--check")) {
    if (readFileSync(GENERATED, "utf8") !== text) {
      console.error("src/protocol/loom.generated.ts is not what src/protocol/loom.proto gives: run `bun scripts/gen-protocol.ts`");
      process.exit(1);
    }
  } else writeFileSync(GENERATED, text);
}
