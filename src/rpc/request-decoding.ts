import { type DescField, type DescMessage, fromBinary, fromJson, fromJsonString, type Message, ScalarType } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DomainError, type FieldViolation, ValidationError } from "../errors.js";
import { wireFaultOf } from "./wire-format.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A request message from its bytes, protobuf binary or JSON; a malformed one
 * is INVALID_ARGUMENT naming the field where one is to blame, and saying
 * what the field takes, never what was sent (it may be a credential).
 * Connect's own parsing answers INTERNAL for bad binary and echoes JSON
 * values in its messages ("expected string, got 73582079").
 */
export function decodeRequest(desc: DescMessage, binary: boolean, bytes: Uint8Array): Message {
  return binary ? decodeBinary(desc, bytes) : decodeJson(desc, bytes);
}

function decodeBinary(desc: DescMessage, bytes: Uint8Array): Message {
  const fault = wireFaultOf(desc, bytes);
  if (fault) throw malformedRequest("is not a valid protobuf message", fault);
  try {
    return fromBinary(desc, bytes);
  } catch {
    throw malformedRequest("is not a valid protobuf message");
  }
}

function decodeJson(desc: DescMessage, bytes: Uint8Array): Message {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw malformedRequest("is not valid UTF-8");
  }
  try {
    return fromJsonString(desc, text, { ignoreUnknownFields: true });
  } catch {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw malformedRequest("is not valid JSON");
    }
    throw malformedRequest("is not a JSON object of the request's fields", badJsonField(desc, json, ""));
  }
}

/**
 * What an error met while reading a request message becomes: INVALID_ARGUMENT
 * without the parser's words, unless it is one of Connect's protocol errors
 * (a cut envelope, a message too large, an unknown compression), which say
 * nothing of the message and keep their codes.
 */
export function requestReadError(err: unknown, desc: DescMessage): unknown {
  if (err instanceof DomainError) return err;
  if (err instanceof ConnectError && err.cause === undefined && err.code !== Code.Internal && err.code !== Code.Unknown) return err;
  const field = fieldErrorOf(err);
  // Connect's JSON errors name a field but not its path: only a top-level field is named for sure.
  const violation = field?.parent === desc ? { field: field.name, description: `must be ${jsonKind(field)}` } : undefined;
  return malformedRequest("could not be decoded", violation);
}

/** A field to blame makes it a ValidationError like any other; a message wrong as a whole says how. */
function malformedRequest(what: string, violation?: FieldViolation): DomainError {
  if (violation?.field) return new ValidationError([violation]);
  return new DomainError("invalid_argument", "VALIDATION_FAILED", `invalid request: the message ${violation?.description ?? what}`);
}

/**
 * The first field whose JSON value does not decode, by proto path, and what
 * it takes; the deepest one, so `credentials.api_key` rather than `credentials`.
 */
function badJsonField(desc: DescMessage, json: unknown, prefix: string): FieldViolation | undefined {
  if (!isObject(json)) return undefined;
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find((f) => f.jsonName === key || f.name === key);
    if (!field || decodes(desc, key, value)) continue;
    const path = prefix + field.name;
    const nested = field.fieldKind === "message" || field.fieldKind === "list" || field.fieldKind === "map" ? field.message : undefined;
    if (field.fieldKind === "message" && !isWellKnown(nested)) return badJsonField(nested!, value, `${path}.`) ?? { field: path, description: `must be ${jsonKind(field)}` };
    if (field.fieldKind === "list" && Array.isArray(value)) {
      const index = value.findIndex((item) => !decodes(desc, key, [item]));
      if (index >= 0 && nested && !isWellKnown(nested)) return badJsonField(nested, value[index], `${path}[${index}].`) ?? { field: `${path}[${index}]`, description: `must be ${jsonKind(field)}` };
      if (index >= 0) return { field: `${path}[${index}]`, description: `must be ${jsonKind(field)}` };
    }
    if (field.fieldKind === "map" && isObject(value)) {
      const entry = Object.entries(value).find(([k, v]) => !decodes(desc, key, { [k]: v }));
      if (entry) {
        const entryPath = `${path}[${JSON.stringify(entry[0].slice(0, 64))}]`;
        if (nested && !isWellKnown(nested)) return badJsonField(nested, entry[1], `${entryPath}.`) ?? { field: entryPath, description: `must be ${jsonKind(field)}` };
        return { field: entryPath, description: `must be ${jsonKind(field)}` };
      }
    }
    return { field: path, description: `must be ${field.fieldKind === "list" ? "an array" : field.fieldKind === "map" ? "an object" : jsonKind(field)}` };
  }
  return undefined;
}

function decodes(desc: DescMessage, key: string, value: unknown): boolean {
  try {
    fromJson(desc, { [key]: value } as never, { ignoreUnknownFields: true });
    return true;
  } catch {
    return false;
  }
}

/** What one value of a field is in JSON (for a list or map: one item). */
function jsonKind(field: DescField): string {
  if (field.enum) return `one of the names of ${field.enum.typeName}`;
  if (field.message) return isWellKnown(field.message) ? `a ${field.message.typeName} in its JSON form` : "an object";
  switch (field.scalar) {
    case ScalarType.STRING:
      return "a string";
    case ScalarType.BOOL:
      return "true or false";
    case ScalarType.BYTES:
      return "base64 text";
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return "a number";
    default:
      return "an integer";
  }
}

function isWellKnown(desc: DescMessage | undefined): boolean {
  return desc?.typeName.startsWith("google.protobuf.") ?? false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The field protobuf-es blamed, anywhere in the cause chain. */
function fieldErrorOf(err: unknown): DescField | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const field = (e as { field?: unknown }).field;
    if (typeof field === "function") {
      const blamed = (field as () => { kind?: string })();
      return blamed?.kind === "field" ? (blamed as DescField) : undefined;
    }
  }
  return undefined;
}
