import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, createServiceImplSpec, type HandlerContext, type Interceptor, type MethodImplSpec, type ServiceImpl } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import { createMethodSerializationLookup, encodeEnvelope, invokeUnaryImplementation } from "@connectrpc/connect/protocol";
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
}

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
 * The call itself is Connect's: its serialization, its interceptors and
 * implementation run by `invokeUnaryImplementation`, its error encodings.
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
  const { context, done } = handlerContext(method.spec, "grpc", req, res, timeout.timeoutMs, options.contextValues(req));
  context.responseHeader.set("content-type", "application/grpc+proto");
  context.responseTrailer.set("grpc-status", "0");
  let body: Uint8Array | undefined;
  try {
    if (timeout.error) throw timeout.error;
    const output = await invoke(method, true, context, requestMessage(await readAll(req)), options);
    const gzip = output.byteLength >= options.compressMinBytes && acceptsGzip(header(req, "grpc-accept-encoding"));
    if (gzip) context.responseHeader.set("grpc-encoding", "gzip");
    body = gzip ? encodeEnvelope(COMPRESSED, await compressionGzip.compress(output)) : encodeEnvelope(0, output);
  } catch (err) {
    body = undefined;
    setTrailerStatus(context.responseTrailer, connectErrorOf(err));
  } finally {
    done();
  }
  if (res.stream.destroyed) return; // the client went away
  res.writeHead(200, Object.fromEntries(context.responseHeader));
  res.addTrailers(Object.fromEntries(context.responseTrailer));
  if (body) res.end(body);
  else res.end();
}

async function answerConnect(method: UnaryMethod, binary: boolean, req: Request, res: Response, options: UnaryOptions): Promise<void> {
  const timeout = parseConnectTimeout(header(req, "connect-timeout-ms") ?? null, Number.MAX_SAFE_INTEGER);
  const { context, done } = handlerContext(method.spec, "connect", req, res, timeout.timeoutMs, options.contextValues(req));
  context.responseHeader.set("content-type", binary ? "application/proto" : "application/json");
  let status = 200;
  let body: Uint8Array;
  try {
    if (timeout.error) throw timeout.error;
    body = await invoke(method, binary, context, await readAll(req), options);
  } catch (err) {
    const error = connectErrorOf(err);
    status = codeToHttpStatus(error.code);
    context.responseHeader.set("content-type", "application/json");
    error.metadata.forEach((value, key) => context.responseHeader.set(key, value));
    body = errorToJsonBytes(error, undefined);
  } finally {
    done();
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

/** The request message parsed, the implementation run through the interceptors, the answer serialized. */
async function invoke(method: UnaryMethod, binary: boolean, context: HandlerContext, request: Uint8Array, options: UnaryOptions): Promise<Uint8Array> {
  const input = method.serialization.getI(binary).parse(request);
  const output = await invokeUnaryImplementation(method.spec, context, input, options.interceptors);
  return method.serialization.getO(binary).serialize(output);
}

/**
 * The call's context, as Connect's `createHandlerContext` makes it, but with
 * one AbortController, aborted only when the client goes away or the deadline
 * passes, not at the end of every call (see above).
 */
function handlerContext(spec: UnarySpec, protocolName: string, req: Request, res: Response, timeoutMs: number | undefined, values: ContextValues) {
  const controller = new AbortController();
  const onClose = () => controller.abort(new ConnectError("the client went away", Code.Canceled));
  res.once("close", onClose);
  const deadlineAt = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  const deadline = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
  const authority = "authority" in req ? req.authority : req.headers.host;
  const context: HandlerContext = {
    method: spec.method,
    service: spec.method.parent,
    requestMethod: "POST",
    protocolName,
    url: `http://${authority}${req.url}`,
    signal: controller.signal,
    timeoutMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()),
    requestHeader: new Headers(Object.entries(req.headers).flatMap(([name, value]) => (name.startsWith(":") || value === undefined ? [] : [[name, String(value)]]))),
    responseHeader: new Headers(),
    responseTrailer: new Headers(),
    values,
  };
  const done = () => {
    clearTimeout(deadline);
    res.off("close", onClose);
  };
  return { context, done };
}

async function readAll(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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
