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
import { compressionGzip } from "@connectrpc/connect-node";
import { createMethodSerializationLookup, encodeEnvelope } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes, parseContentType, parseTimeout as parseConnectTimeout, trailerMux } from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

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
  /** Answers of this size or more are gzipped when the client accepts gzip (as connect-node does). */
  readonly compressMinBytes: number;
  /** A request body of more bytes is refused with RESOURCE_EXHAUSTED (connect-node's `readMaxBytes`). */
  readonly readMaxBytes: number;
}

type Next = Parameters<Interceptor>[0];
type UnarySpec = MethodImplSpec & { readonly kind: "unary"; readonly method: DescMethodUnary };
interface UnaryMethod {
  readonly spec: UnarySpec;
  readonly serialization: ReturnType<typeof createMethodSerializationLookup>;
}

const GRPC_BINARY = /^application\/grpc(\+proto)?$/i;
const COMPRESSED = 0b1;
const NO_LIMIT = 0xffffffff;

/**
 * Unary calls over gRPC (binary) and the Connect protocol (POST, JSON or
 * binary), uncompressed, answered without connect-node's streaming pipeline;
 * everything else (streams, compressed requests, gRPC-Web, Connect GET) goes
 * to `fallback`, the connect-node adapter.
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
 * The call itself is Connect's: its serialization, its interceptors, its
 * error encodings; `invoke` runs the implementation through the interceptors
 * as Connect's `invokeUnaryImplementation` does.
 */
export function unaryHandler(routes: readonly ServiceRoute[], options: UnaryOptions, fallback: NodeHandler): NodeHandler {
  const unary = new Map<string, UnaryMethod>();
  for (const { service, impl } of routes) {
    for (const spec of Object.values(createServiceImplSpec(service, impl).methods)) {
      if (spec.kind !== "unary") continue;
      const serialization = createMethodSerializationLookup(spec.method, undefined, undefined, { readMaxBytes: NO_LIMIT, writeMaxBytes: NO_LIMIT });
      unary.set(`/${service.typeName}/${spec.method.name}`, { spec, serialization });
    }
  }
  return (req, res) => {
    const method = req.method === "POST" ? unary.get(req.url ?? "") : undefined;
    const contentType = req.headers["content-type"] ?? "";
    let answered: Promise<void> | undefined;
    if (method && "stream" in req && GRPC_BINARY.test(contentType) && identity(req.headers["grpc-encoding"])) {
      answered = answerGrpc(method, req, res as Http2ServerResponse, options);
    } else if (method && identity(req.headers["content-encoding"])) {
      const connect = parseContentType(contentType);
      if (connect && !connect.stream) answered = answerConnect(method, connect.binary, req, res, options);
    }
    if (!answered) {
      fallback(req, res);
      return;
    }
    // The call's own failures are answered; this is the transport failing to write the answer.
    answered.catch(() => ("stream" in res ? res.stream.destroy() : res.destroy()));
  };
}

async function answerGrpc(method: UnaryMethod, req: Http2ServerRequest, res: Http2ServerResponse, options: UnaryOptions): Promise<void> {
  const timeout = parseGrpcTimeout(header(req, "grpc-timeout") ?? null, Number.MAX_SAFE_INTEGER);
  const context = new CallContext(method.spec.method, "grpc", req, res, timeout.timeoutMs, options.contextValues(req));
  context.responseHeader.set("content-type", "application/grpc+proto");
  context.responseTrailer.set("grpc-status", "0");
  let body: Uint8Array | undefined;
  try {
    if (timeout.error) throw timeout.error;
    const output = await invoke(method, true, context, requestMessage(await readAll(req, options.readMaxBytes)), options);
    const gzip = output.byteLength >= options.compressMinBytes && acceptsGzip(header(req, "grpc-accept-encoding"));
    if (gzip) context.responseHeader.set("grpc-encoding", "gzip");
    body = gzip ? encodeEnvelope(COMPRESSED, await compressionGzip.compress(output)) : encodeEnvelope(0, output);
  } catch (err) {
    body = undefined;
    setTrailerStatus(context.responseTrailer, connectErrorOf(err));
  } finally {
    context.done();
  }
  if (res.stream.destroyed) return; // the client went away
  res.writeHead(200, Object.fromEntries(context.responseHeader));
  res.addTrailers(Object.fromEntries(context.responseTrailer));
  if (body) res.end(body);
  else res.end();
}

async function answerConnect(method: UnaryMethod, binary: boolean, req: Request, res: Response, options: UnaryOptions): Promise<void> {
  const timeout = parseConnectTimeout(header(req, "connect-timeout-ms") ?? null, Number.MAX_SAFE_INTEGER);
  const context = new CallContext(method.spec.method, "connect", req, res, timeout.timeoutMs, options.contextValues(req));
  context.responseHeader.set("content-type", binary ? "application/proto" : "application/json");
  let status = 200;
  let body: Uint8Array;
  try {
    if (timeout.error) throw timeout.error;
    body = await invoke(method, binary, context, await readAll(req, options.readMaxBytes), options);
  } catch (err) {
    const error = connectErrorOf(err);
    status = codeToHttpStatus(error.code);
    context.responseHeader.set("content-type", "application/json");
    error.metadata.forEach((value, key) => context.responseHeader.set(key, value));
    body = errorToJsonBytes(error, undefined);
  } finally {
    context.done();
  }
  if (body.byteLength >= options.compressMinBytes && acceptsGzip(header(req, "accept-encoding"))) {
    body = await compressionGzip.compress(body);
    context.responseHeader.set("content-encoding", "gzip");
  }
  const headers = trailerMux(context.responseHeader, context.responseTrailer);
  headers.set("content-length", String(body.byteLength));
  if ("stream" in res ? res.stream.destroyed : res.destroyed) return; // the client went away
  res.writeHead(status, Object.fromEntries(headers));
  res.end(body);
}

/**
 * The request message parsed, the implementation run through the
 * interceptors (the first one outermost), the answer serialized.
 */
async function invoke(method: UnaryMethod, binary: boolean, context: CallContext, request: Uint8Array, options: UnaryOptions): Promise<Uint8Array> {
  const { spec } = method;
  const implementation = async (req: UnaryRequest): Promise<UnaryResponse> => {
    const output = await spec.impl(req.message, new ImplementationContext(context, req));
    return { stream: false, method: spec.method, service: spec.method.parent, header: context.responseHeader, trailer: context.responseTrailer, message: create(spec.method.output, output) };
  };
  const next = options.interceptors.reduceRight<Next>((inner, interceptor) => interceptor(inner), implementation as Next);
  const res = (await next(new CallRequest(context, method.serialization.getI(binary).parse(request)))) as UnaryResponse;
  copyHeaders(res.header, context.responseHeader);
  copyHeaders(res.trailer, context.responseTrailer);
  return method.serialization.getO(binary).serialize(res.message as Message);
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

/** The request body; RESOURCE_EXHAUSTED once it passes `maxBytes` (the rest is read and dropped, not kept). */
function readAll(req: Request, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.off("end", onEnd);
      req.resume();
      reject(new ConnectError(`message size ${size} is larger than configured readMaxBytes ${maxBytes}`, Code.ResourceExhausted));
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", reject);
  });
}

/** The one enveloped message of a unary gRPC request. */
function requestMessage(data: Buffer): Uint8Array {
  if (data.length === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (data.length < 5 || data.length < 5 + data.readUInt32BE(1)) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  const end = 5 + data.readUInt32BE(1);
  if (end < data.length) throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  if ((data[0]! & COMPRESSED) === COMPRESSED) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  return data.subarray(5, end);
}

function connectErrorOf(err: unknown): ConnectError {
  return err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
}

function identity(encoding: string | string[] | undefined): boolean {
  return encoding === undefined || encoding === "identity";
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function acceptsGzip(accepted: string | undefined): boolean {
  return accepted?.split(",").some((e) => e.trim() === "gzip") ?? false;
}
