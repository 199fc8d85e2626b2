import { isUtf8 } from "node:buffer";
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { FieldViolation } from "../errors.js";

const MAX_DEPTH = 100; // protobuf-es's own recursion limit

/**
 * What is wrong with a protobuf binary message, naming the field by its proto
 * path ("deposit_address.user_metadata[\"k\"]"; "" when no field is to blame),
 * or undefined for a well-formed one.
 *
 * Why not protobuf-es's own errors: they name no field ("premature EOF"), and
 * protobuf-es reads a known field whatever its wire type, so a varint sent for
 * a string field is read as a length and the bytes after it as the string —
 * a message the client never sent. Here a wire type that is not the field's
 * is refused (other implementations skip such a field as unknown; refusing is
 * the closed way), every length is checked against its message's end, and
 * every string whose field requires it is checked to be UTF-8 (proto3 does).
 */
export function wireFaultOf(desc: DescMessage, bytes: Uint8Array): FieldViolation | undefined {
  try {
    readMessage(desc, new BinaryReader(bytes), bytes.byteLength, "", 0);
    return undefined;
  } catch (err) {
    if (err instanceof WireFault) return { field: err.field, description: err.description };
    return { field: "", description: "is not a protobuf message" };
  }
}

class WireFault extends Error {
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function readMessage(desc: DescMessage, reader: BinaryReader, end: number, prefix: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new WireFault(prefix.slice(0, -1), `nests messages deeper than ${MAX_DEPTH}`);
  const counts = new Map<DescField, number>();
  while (reader.pos < end) {
    const [number, wireType] = guard(prefix.slice(0, -1), "has an illegal tag", () => reader.tag());
    const field = fieldsOf(desc).get(number);
    if (!field) {
      guard(prefix.slice(0, -1), "is cut short", () => reader.skip(wireType, number));
      continue;
    }
    let path = prefix + field.name;
    if (field.fieldKind === "list") {
      const index = counts.get(field) ?? 0;
      counts.set(field, index + 1);
      if (field.listKind === "message" || field.scalar === ScalarType.STRING) path += `[${index}]`;
    }
    if (wireType !== wireTypeOf(field) && !(field.fieldKind === "list" && field.listKind !== "message" && wireType === WireType.LengthDelimited)) {
      throw new WireFault(path, "has the wrong wire type");
    }
    readValue(field, wireType, reader, path, depth);
  }
  if (reader.pos > end) throw new WireFault(prefix.slice(0, -1), "is cut short");
}

function readValue(field: DescField, wireType: WireType, reader: BinaryReader, path: string, depth: number): void {
  const message = field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") ? field.message : undefined;
  if (message && wireType === WireType.LengthDelimited) {
    const end = lengthEnd(reader, path);
    readMessage(message, reader, end, `${path}.`, depth + 1);
  } else if (field.fieldKind === "map") {
    readMapEntry(field, reader, lengthEnd(reader, path), path, depth);
  } else if (wireType === WireType.LengthDelimited && (field.scalar === ScalarType.STRING) && field.utf8Validation) {
    checkUtf8(guard(path, "is cut short", () => reader.bytes()), path);
  } else {
    guard(path, "is cut short", () => reader.skip(wireType, field.number));
  }
}

function readMapEntry(field: DescField & { fieldKind: "map" }, reader: BinaryReader, end: number, path: string, depth: number): void {
  let valuePath = path; // with the key once it is read (keys come first)
  while (reader.pos < end) {
    const [number, wireType] = guard(path, "has an illegal tag", () => reader.tag());
    if (number > 2) {
      guard(path, "is cut short", () => reader.skip(wireType, number));
      continue;
    }
    const expected = number === 1 ? scalarWireType(field.mapKey) : field.mapKind === "message" ? WireType.LengthDelimited : field.mapKind === "enum" ? WireType.Varint : scalarWireType(field.scalar);
    if (wireType !== expected) throw new WireFault(path, "has the wrong wire type");
    if (number === 1 && field.mapKey === ScalarType.STRING) {
      const key = checkUtf8(guard(path, "is cut short", () => reader.bytes()), path);
      valuePath = `${path}[${JSON.stringify(Buffer.from(key).toString("utf8").slice(0, 64))}]`;
    } else if (number === 2 && field.mapKind === "message") {
      readMessage(field.message, reader, lengthEnd(reader, valuePath), `${valuePath}.`, depth + 1);
    } else if (number === 2 && field.mapKind === "scalar" && field.scalar === ScalarType.STRING) {
      checkUtf8(guard(valuePath, "is cut short", () => reader.bytes()), valuePath);
    } else {
      guard(path, "is cut short", () => reader.skip(wireType, number));
    }
  }
  if (reader.pos > end) throw new WireFault(path, "is cut short");
}

function lengthEnd(reader: BinaryReader, path: string): number {
  const length = guard(path, "is cut short", () => reader.uint32());
  if (reader.pos + length > reader.len) throw new WireFault(path, "is cut short");
  return reader.pos + length;
}

function checkUtf8(bytes: Uint8Array, path: string): Uint8Array {
  if (!isUtf8(bytes)) throw new WireFault(path, "is not valid UTF-8");
  return bytes;
}

/** What the reader throws (premature EOF, illegal tag), said of the field being read. */
function guard<T>(path: string, description: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof WireFault) throw err;
    throw new WireFault(path, description);
  }
}

function wireTypeOf(field: DescField): WireType {
  switch (field.fieldKind) {
    case "message":
      return field.delimitedEncoding ? WireType.StartGroup : WireType.LengthDelimited;
    case "map":
      return WireType.LengthDelimited;
    case "enum":
      return WireType.Varint;
    case "scalar":
      return scalarWireType(field.scalar);
    case "list":
      if (field.listKind === "message") return field.delimitedEncoding ? WireType.StartGroup : WireType.LengthDelimited;
      return field.listKind === "enum" ? WireType.Varint : scalarWireType(field.scalar);
  }
}

function scalarWireType(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

const fieldMaps = new WeakMap<DescMessage, Map<number, DescField>>();

function fieldsOf(desc: DescMessage): Map<number, DescField> {
  let fields = fieldMaps.get(desc);
  if (!fields) {
    fields = new Map(desc.fields.map((f) => [f.number, f]));
    fieldMaps.set(desc, fields);
  }
  return fields;
}
