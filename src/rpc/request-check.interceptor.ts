import { type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import type { Interceptor } from "@connectrpc/connect";
import { type FieldViolation, ValidationError } from "../errors.js";
import { requestFailureKey } from "./context.js";
import { requestReadError } from "./request-decoding.js";

const NUL = "\u0000";

/**
 * Refuses, before anything else sees the request (authentication included, as
 * a parser would), what could not be read and any NUL character in a string
 * field, map key or value, at any depth: PostgreSQL's text and jsonb refuse
 * NUL, so it would otherwise answer INTERNAL from the database. The field is
 * named, its value never (it may be a credential). Streams are checked message
 * by message; their decoding errors (Connect's, which say INTERNAL for bad
 * binary) become INVALID_ARGUMENT here. Install it right inside the call observer.
 */
export function requestCheck(): Interceptor {
  return (next) => async (req) => {
    const input = req.method.input;
    if (!req.stream) {
      const failure = req.contextValues.get(requestFailureKey);
      if (failure !== undefined) throw failure;
      throwIfNul(input, req.message);
      return next(req);
    }
    if (req.method.methodKind === "server_streaming") {
      // One request message: read it now, so that a bad one is refused before authentication, as for unary calls.
      return next({ ...req, message: replay(await readUpTo(2, checked(req.message, input))) });
    }
    return next({ ...req, message: checked(req.message, input) });
  };
}

/** The NUL characters of a message, by field; for tests and the interceptor. */
export function nulViolations(desc: DescMessage, message: Message): FieldViolation[] {
  const violations: FieldViolation[] = [];
  walk(reflect(desc, message), "", violations);
  return violations;
}

function throwIfNul(desc: DescMessage, message: Message): void {
  const violations = nulViolations(desc, message);
  if (violations.length > 0) throw new ValidationError(violations);
}

const MUST_NOT = "must not contain NUL characters";

function walk(message: ReflectMessage, prefix: string, out: FieldViolation[]): void {
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const path = prefix + field.name;
    switch (field.fieldKind) {
      case "scalar":
        if (field.scalar === ScalarType.STRING && (message.get(field) as string).includes(NUL)) out.push({ field: path, description: MUST_NOT });
        break;
      case "message":
        walk(message.get(field), `${path}.`, out);
        break;
      case "list": {
        let index = 0;
        for (const item of message.get(field)) {
          if (field.listKind === "message") walk(item as ReflectMessage, `${path}[${index}].`, out);
          else if (field.scalar === ScalarType.STRING && (item as string).includes(NUL)) out.push({ field: `${path}[${index}]`, description: MUST_NOT });
          index++;
        }
        break;
      }
      case "map":
        for (const [key, value] of message.get(field)) {
          if (typeof key === "string" && key.includes(NUL)) {
            out.push({ field: path, description: `keys ${MUST_NOT}` });
            continue;
          }
          const entry = `${path}[${JSON.stringify(String(key).slice(0, 64))}]`;
          if (field.mapKind === "message") walk(value as ReflectMessage, `${entry}.`, out);
          else if (typeof value === "string" && value.includes(NUL)) out.push({ field: entry, description: MUST_NOT });
        }
        break;
    }
  }
}

async function* checked(messages: AsyncIterable<Message>, desc: DescMessage): AsyncIterable<Message> {
  const it = messages[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Message>;
    try {
      next = await it.next();
    } catch (err) {
      throw requestReadError(err, desc);
    }
    if (next.done) return;
    throwIfNul(desc, next.value);
    yield next.value;
  }
}

async function readUpTo(count: number, messages: AsyncIterable<Message>): Promise<Message[]> {
  const read: Message[] = [];
  for await (const message of messages) {
    read.push(message);
    if (read.length === count) break;
  }
  return read;
}

async function* replay(messages: Message[]): AsyncIterable<Message> {
  yield* messages;
}
