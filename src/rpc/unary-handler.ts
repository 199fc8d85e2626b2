import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { create, type DescMethodUnary, type DescService, type Message } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type ServiceImpl,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { type Compression, compressionNegotiate, createMethodSerializationLookup, encodeEnvelope } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes, parseContentType as parseConnectType, parseTimeout as parseConnectTimeout, trailerMux } from "@connectrpc/connect/protocol-connect";
import { parseContentType as parseGrpcType, parseTimeout as parseGrpcTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { parseContentType as parseGrpcWebType, trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { requestFailureKey } from "./context.js";
import { decodeRequest } from "./request-decoding.js";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;
export type NodeHandler = (req: Request, res: Response) => void;

/** A service and its implementation, as given to Connect's router. */
export interface ServiceRoute {
  readonly service: DescService;
  readonly impl: Partial<ServiceImpl<DescService>>;
}

/** Pairs a service with its implementation, type-checked here, for a list of mixed services. */
export function serviceRoute<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): ServiceRoute {
  return { service, impl: impl as unknown as Partial<ServiceImpl<DescService>> };
}

export interface UnaryOptions {
  readonly interceptors: Interceptor[];
  readonly contextValues: (req: Request) => ContextValues;
  /** The compressions requests may use and answers are offered in (connect-node's `acceptCompression`). */
  readonly acceptCompression: Compression[];
  /** Answers of this size or more are compressed when the client accepts a compression (as connect-node does). */
  readonly compressMinBytes: number;
  /** A request body of more bytes is refused with RESOURCE_EXHAUSTED (connect-node's `readMaxBytes`). */
  readonly readMaxBytes: number;
  /** JSON options (a registry for Any fields), as connect-node's `jsonOptions`. */
  readonly jsonOptions?: Parameters<typeof createMethodSerializationLookup>[2];
}

type Next = Parameters<Interceptor>[0];
type UnarySpec = MethodImplSpec & { readonly kind: "unary"; readonly method: DescMethodUnary };
interface UnaryMethod {
  readonly spec: UnarySpec;
  readonly serialization: ReturnType<typeof createMethodSerializationLookup>;
}

/** The three unary wire protocols: gRPC and gRPC-Web frame a message in an envelope, Connect sends it bare. */
interface Protocol {
  readonly name: "grpc" | "grpc-web" | "connect";
  readonly binary: boolean;
}

const COMPRESSED = 0b1;
const NO_LIMIT = 0xffffffff;

/**
 * Every unary call, over gRPC, gRPC-Web and the Connect protocol (POST), in
 * JSON or binary, compressed or not, answered without connect-node's
 * streaming pipeline; streams, and what is not a unary call (a Connect GET,
 * gRPC-Web text, an unknown content type), go to `fallback`, the connect-node
 * adapter.
 *
 * Why: connect-node runs each call through async generators compiled for
 * ES2017, so each call creates generator functions, and V8 gives each its own
 * initial map in old space; and it aborts an AbortSignal at the end of each
 * call, whose reason's stack trace holds the request. Both keep the call's
 * objects alive through young-generation collections: under load each
 * scavenge promoted the objects of every call since the last one and took
 * 15-25 ms, which put GetDepositAddress's p99 over gRPC at 500/s near 30 ms
 * on a server doing no work at all (`npm run bench:grpc-floor`).
 *
 * And Node 20 keeps every AbortSignal it makes alive through a young-
 * generation collection, with all it reaches (GetDepositAddress at 500/s:
 * each scavenge promoted ~410 KB with a signal per call, ~190 KB without; a
 * scavenge paused 2.8 ms, then 2.2), while Connect reads the call's signal on
 * every call. Here the signal is made on its first read (see CallContext):
 * our unary implementations read it only when a call fails.
 *
 * And because connect-node reads a unary request before its interceptors
 * run, a request it cannot read (bad protobuf, which it answers INTERNAL; a
 * cut envelope; an unknown compression) was never logged or counted. Here
 * whatever goes wrong reading the request is thrown inside the interceptors
 * (see requestFailureKey), so the call observer sees every call.
 *
 * The call itself is Connect's: its framing, compressions, interceptors and
 * error encodings; `invoke` runs the implementation through the interceptors
 * as Connect's `invokeUnaryImplementation` does.
 */
export function unaryHandler(routes: readonly ServiceRoute[], options: UnaryOptions, fallback: NodeHandler): NodeHandler {
  const unary = new Map<string, UnaryMethod>();
  for (const { service, impl } of routes) {
    for (const spec of Object.values(createServiceImplSpec(service, impl).methods)) {
      if (spec.kind !== "unary") continue;
      const serialization = createMethodSerializationLookup(spec.method, undefined, options.jsonOptions, { readMaxBytes: NO_LIMIT, writeMaxBytes: NO_LIMIT });
      unary.set(`/${service.typeName}/${spec.method.name}`, { spec, serialization });
    }
  }
  return (req, res) => {
    const method = req.method === "POST" ? unary.get(req.url ?? "") : undefined;
    const protocol = method && protocolOf(req);
    if (!method || !protocol) {
      fallback(req, res);
      return;
    }
    const answered = protocol.name === "connect" ? answerConnect(method, protocol, req, res, options) : answerGrpc(method, protocol, req, res, options);
    // The call's own failures are answered; this is the transport failing to write the answer.
    answered.catch(() => ("stream" in res ? res.stream.destroy() : res.destroy()));
  };
}

function protocolOf(req: Request): Protocol | undefined {
  const contentType = header(req, "content-type");
  const grpc = "stream" in req ? parseGrpcType(contentType ?? null) : undefined; // gRPC needs HTTP/2's trailers
  if (grpc) return { name: "grpc", binary: grpc.binary };
  const web = parseGrpcWebType(contentType ?? null);
  if (web && !web.text) return { name: "grpc-web", binary: web.binary };
  const connect = parseConnectType(contentType ?? null);
  return connect && !connect.stream ? { name: "connect", binary: connect.binary } : undefined;
}

/** gRPC, and gRPC-Web, which sends the trailers as the body's last envelope. */
async function answerGrpc(method: UnaryMethod, protocol: Protocol, req: Request, res: Response, options: UnaryOptions): Promise<void> {
  const web = protocol.name === "grpc-web";
  const timeout = parseGrpcTimeout(header(req, "grpc-timeout") ?? null, Number.MAX_SAFE_INTEGER);
  const context = new CallContext(method.spec.method, protocol.name, req, res, timeout.timeoutMs, options.contextValues(req));
  const accepted = options.acceptCompression.map((c) => c.name).join(",");
  const compression = compressionNegotiate(options.acceptCompression, header(req, "grpc-encoding") ?? null, header(req, "grpc-accept-encoding") ?? null, "grpc-accept-encoding");
  context.responseHeader.set("content-type", `application/${web ? "grpc-web" : "grpc"}+${protocol.binary ? "proto" : "json"}`);
  // What we take, on every answer: the gRPC spec wants it with an UNIMPLEMENTED for an unknown compression.
  context.responseHeader.set("grpc-accept-encoding", accepted);
  context.responseTrailer.set("grpc-status", "0");
  const read = async () => {
    if (timeout.error) throw timeout.error;
    if (compression.error) throw compression.error;
    // readMaxBytes bounds the message, as connect-node's does; the envelope's 5 bytes come on top.
    const { flags, data } = requestEnvelope(await readAll(req, options.readMaxBytes, 5));
    if ((flags & COMPRESSED) === 0) return data;
    if (!compression.request) throw new ConnectError(`protocol error: a compressed message, but grpc-encoding is not one of ${accepted}`, Code.InvalidArgument);
    return decompress(compression.request, data, options.readMaxBytes);
  };
  const body: Uint8Array[] = [];
  try {
    const output = await invoke(method, protocol.binary, context, read, options);
    const compress = compression.response && output.byteLength >= options.compressMinBytes ? compression.response : undefined;
    if (compress) context.responseHeader.set("grpc-encoding", compress.name);
    body.push(compress ? encodeEnvelope(COMPRESSED, await compress.compress(output)) : encodeEnvelope(0, output));
  } catch (err) {
    body.length = 0;
    setTrailerStatus(context.responseTrailer, connectErrorOf(err));
  } finally {
    context.done();
  }
  if (web) body.push(encodeEnvelope(trailerFlag, trailerSerialize(context.responseTrailer)));
  if ("stream" in res ? res.stream.destroyed : res.destroyed) return; // the client went away
  res.writeHead(200, Object.fromEntries(context.responseHeader));
  if (!web) (res as Http2ServerResponse).addTrailers(Object.fromEntries(context.responseTrailer));
  if (body.length > 0) res.end(Buffer.concat(body));
  else res.end();
}

async function answerConnect(method: UnaryMethod, protocol: Protocol, req: Request, res: Response, options: UnaryOptions): Promise<void> {
  const timeout = parseConnectTimeout(header(req, "connect-timeout-ms") ?? null, Number.MAX_SAFE_INTEGER);
  const context = new CallContext(method.spec.method, "connect", req, res, timeout.timeoutMs, options.contextValues(req));
  const compression = compressionNegotiate(options.acceptCompression, header(req, "content-encoding") ?? null, header(req, "accept-encoding") ?? null, "accept-encoding");
  context.responseHeader.set("content-type", protocol.binary ? "application/proto" : "application/json");
  const read = async () => {
    if (timeout.error) throw timeout.error;
    if (compression.error) throw compression.error;
    const data = await readAll(req, options.readMaxBytes);
    return compression.request ? decompress(compression.request, data, options.readMaxBytes) : data;
  };
  let status = 200;
  let body: Uint8Array;
  try {
    body = await invoke(method, protocol.binary, context, read, options);
  } catch (err) {
    const error = connectErrorOf(err);
    status = codeToHttpStatus(error.code);
    context.responseHeader.set("content-type", "application/json");
    error.metadata.forEach((value, key) => context.responseHeader.set(key, value));
    body = errorToJsonBytes(error, undefined);
  } finally {
    context.done();
  }
  if (compression.response && body.byteLength >= options.compressMinBytes) {
    body = await compression.response.compress(body);
    context.responseHeader.set("content-encoding", compression.response.name);
  }
  const headers = trailerMux(context.responseHeader, context.responseTrailer);
  headers.set("content-length", String(body.byteLength));
  if ("stream" in res ? res.stream.destroyed : res.destroyed) return; // the client went away
  res.writeHead(status, Object.fromEntries(headers));
  res.end(body);
}

/**
 * The request read and decoded, the implementation run through the
 * interceptors (the first one outermost), the answer serialized. A request
 * that cannot be read still runs the interceptors, with an empty message and
 * the failure under requestFailureKey, for the request check to throw; the
 * implementation throws it too, so that it never runs on the empty message.
 */
async function invoke(method: UnaryMethod, binary: boolean, context: CallContext, read: () => Promise<Uint8Array>, options: UnaryOptions): Promise<Uint8Array> {
  const { spec } = method;
  let message;
  try {
    message = decodeRequest(spec.method.input, binary, await read());
  } catch (err) {
    context.values.set(requestFailureKey, err);
    message = create(spec.method.input);
  }
  const failure = context.values.get(requestFailureKey);
  const implementation = async (req: UnaryRequest): Promise<UnaryResponse> => {
    if (failure !== undefined) throw failure;
    const output = await spec.impl(req.message, new ImplementationContext(context, req));
    return { stream: false, method: spec.method, service: spec.method.parent, header: context.responseHeader, trailer: context.responseTrailer, message: create(spec.method.output, output) };
  };
  const next = options.interceptors.reduceRight<Next>((inner, interceptor) => interceptor(inner), implementation as Next);
  const res = (await next(new CallRequest(context, message))) as UnaryResponse;
  copyHeaders(res.header, context.responseHeader);
  copyHeaders(res.trailer, context.responseTrailer);
  return method.serialization.getO(binary).serialize(res.message);
}

/** A compressed request, inflated up to `maxBytes`; a corrupt one is INVALID_ARGUMENT (Connect says INTERNAL for some). */
async function decompress(compression: Compression, data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return await compression.decompress(data, maxBytes);
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.ResourceExhausted) throw err;
    throw new ConnectError(`protocol error: the request is not valid ${compression.name}`, Code.InvalidArgument);
  }
}

/** An interceptor's own headers in place of the call's (as Connect does). */
function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  for (const key of [...to.keys()]) to.delete(key);
  from.forEach((value, key) => to.set(key, value));
}

// The call's context, its request as the interceptors see it, and the context
// the implementation gets are classes whose `signal` is a getter on the
// prototype: the AbortSignal is made on the first read only. (An object
// literal with a getter would not do: V8 gives each such object its own map,
// and the map keeps the object's closures alive through young-generation GCs,
// the generator-function trouble again.)

/**
 * The call's context, as Connect's `createHandlerContext` makes it, but with
 * one AbortController, aborted only when the client goes away or the deadline
 * passes, not at the end of every call.
 */
class CallContext implements HandlerContext {
  readonly requestMethod = "POST";
  readonly service: DescService;
  readonly url: string;
  readonly requestHeader: Headers;
  readonly responseHeader = new Headers();
  readonly responseTrailer = new Headers();
  private readonly controller = new AbortController();
  private readonly deadlineAt: number | undefined;
  private readonly deadline: NodeJS.Timeout | undefined;
  private readonly onClose = () => this.controller.abort(new ConnectError("the client went away", Code.Canceled));

  constructor(
    readonly method: DescMethodUnary,
    readonly protocolName: string,
    req: Request,
    private readonly res: Response,
    timeoutMs: number | undefined,
    readonly values: ContextValues,
  ) {
    this.service = method.parent;
    this.url = `http://${"authority" in req ? req.authority : req.headers.host}${req.url}`;
    this.requestHeader = new Headers(Object.entries(req.headers).flatMap(([name, value]) => (name.startsWith(":") || value === undefined ? [] : [[name, String(value)]])));
    res.once("close", this.onClose);
    if (timeoutMs !== undefined) {
      this.deadlineAt = Date.now() + timeoutMs;
      this.deadline = setTimeout(() => this.controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  readonly timeoutMs = (): number | undefined => (this.deadlineAt === undefined ? undefined : this.deadlineAt - Date.now());

  /** The implementation has answered: the signal aborts no more. */
  done(): void {
    clearTimeout(this.deadline);
    this.res.off("close", this.onClose);
  }
}

/** The call as the interceptors see it. */
class CallRequest implements UnaryRequest {
  readonly stream = false;
  readonly method: DescMethodUnary;
  readonly service: DescService;
  readonly requestMethod: string;
  readonly url: string;
  readonly header: Headers;
  readonly contextValues: ContextValues;

  constructor(
    private readonly context: CallContext,
    readonly message: Message,
  ) {
    this.method = context.method;
    this.service = context.service;
    this.requestMethod = context.requestMethod;
    this.url = context.url;
    this.header = context.requestHeader;
    this.contextValues = context.values;
  }

  get signal(): AbortSignal {
    return this.context.signal;
  }
}

/** The context the implementation gets: the call's, with what the interceptors passed on. */
class ImplementationContext implements HandlerContext {
  readonly method: DescMethodUnary;
  readonly service: DescService;
  readonly requestMethod: string;
  readonly protocolName: string;
  readonly url: string;
  readonly timeoutMs: () => number | undefined;
  readonly requestHeader: Headers;
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
  readonly values: ContextValues;

  constructor(
    private readonly context: CallContext,
    private readonly req: UnaryRequest,
  ) {
    this.method = context.method;
    this.service = req.service;
    this.requestMethod = context.requestMethod;
    this.protocolName = context.protocolName;
    this.url = context.url;
    this.timeoutMs = context.timeoutMs;
    this.requestHeader = req.header;
    this.responseHeader = context.responseHeader;
    this.responseTrailer = context.responseTrailer;
    this.values = req.contextValues;
  }

  get signal(): AbortSignal {
    // An interceptor that passed on a copy ({ ...req }) lost the getter.
    return this.req.signal ?? this.context.signal;
  }
}

/** The request body; RESOURCE_EXHAUSTED once its message passes `maxBytes` (`framing`: the envelope's bytes on top; the rest is read and dropped, not kept). */
function readAll(req: Request, maxBytes: number, framing = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= maxBytes + framing) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.off("end", onEnd);
      req.resume();
      reject(new ConnectError(`message size ${size - framing} is larger than configured readMaxBytes ${maxBytes}`, Code.ResourceExhausted));
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", reject);
  });
}

/** The one enveloped message of a unary gRPC or gRPC-Web request. */
function requestEnvelope(data: Buffer): { flags: number; data: Uint8Array } {
  if (data.length === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (data.length < 5 || data.length < 5 + data.readUInt32BE(1)) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  const end = 5 + data.readUInt32BE(1);
  if (end < data.length) throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  return { flags: data[0]!, data: data.subarray(5, end) };
}

function connectErrorOf(err: unknown): ConnectError {
  return err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}
