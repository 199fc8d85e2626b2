// A server for the Connect conformance suite (`connectconformance --mode server`), served through
// the service's own plumbing: WalletServer (one port, HTTP/1.1 and h2c) and the unary handler in
// front of connect-node's router, so the suite's unary cases go through src/rpc/unary-handler.ts and
// its streams through connect-node. It reads one size-prefixed ServerCompatRequest on stdin and
// writes one ServerCompatResponse to stdout, then serves until stdin closes or a signal.
import { create, createRegistry, type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { anyPack, type Any } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ConnectRouter, createContextValues, type HandlerContext } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip, connectNodeAdapter } from '@connectrpc/connect-node';
import { createLogger } from '../../src/logger.js';
import { WalletServer } from '../../src/rpc/server.js';
import { serviceRoute, unaryHandler } from '../../src/rpc/unary-handler.js';
import { ServerCompatRequestSchema, ServerCompatResponseSchema } from './gen/connectrpc/conformance/v1/server_compat_pb.js';
import {
  ConformancePayload_RequestInfoSchema,
  ConformanceService,
  file_connectrpc_conformance_v1_service,
  type Error as ErrorDefinition,
  type Header,
  type UnaryResponseDefinition,
} from './gen/connectrpc/conformance/v1/service_pb.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function requestInfo(ctx: HandlerContext, requests: Any[]) {
  const requestHeaders: { name: string; value: string[] }[] = [];
  ctx.requestHeader.forEach((value, name) => requestHeaders.push({ name, value: [value] }));
  return create(ConformancePayload_RequestInfoSchema, { requestHeaders, timeoutMs: ctx.timeoutMs() === undefined ? undefined : BigInt(Math.round(ctx.timeoutMs()!)), requests });
}

function setHeaders(target: Headers, headers: Header[]): void {
  for (const { name, value } of headers) for (const v of value) target.append(name, v);
}

function errorOf(definition: ErrorDefinition, info?: Any): ConnectError {
  const error = new ConnectError(definition.message ?? '', definition.code as number as Code);
  // Details as they came (type and bytes), as Connect takes them from a peer; the request info last.
  for (const detail of [...definition.details, ...(info ? [info] : [])]) {
    error.details.push({ type: detail.typeUrl.slice(detail.typeUrl.lastIndexOf('/') + 1), value: detail.value });
  }
  return error;
}

async function unary<D extends DescMessage>(schema: D, request: MessageShape<D> & { responseDefinition?: UnaryResponseDefinition }, ctx: HandlerContext) {
  const definition = request.responseDefinition;
  const info = requestInfo(ctx, [anyPack(schema, request)]);
  if (definition) {
    setHeaders(ctx.responseHeader, definition.responseHeaders);
    setHeaders(ctx.responseTrailer, definition.responseTrailers);
    if (definition.responseDelayMs > 0) await sleep(definition.responseDelayMs);
    if (definition.response.case === 'error') throw errorOf(definition.response.value, anyPack(ConformancePayload_RequestInfoSchema, info));
  }
  const data = definition?.response.case === 'responseData' ? definition.response.value : new Uint8Array();
  return { payload: { data, requestInfo: info } };
}

const impl = {
  unary: (req: never, ctx: HandlerContext) => unary(ConformanceService.method.unary.input, req, ctx),
  idempotentUnary: (req: never, ctx: HandlerContext) => unary(ConformanceService.method.idempotentUnary.input, req, ctx),
  unimplemented: () => {
    throw new ConnectError('unimplemented', Code.Unimplemented);
  },
  async *serverStream(request: MessageShape<typeof ConformanceService.method.serverStream.input>, ctx: HandlerContext) {
    const definition = request.responseDefinition;
    let info: ReturnType<typeof requestInfo> | undefined = requestInfo(ctx, [anyPack(ConformanceService.method.serverStream.input, request)]);
    if (definition) {
      setHeaders(ctx.responseHeader, definition.responseHeaders);
      setHeaders(ctx.responseTrailer, definition.responseTrailers);
    }
    for (const data of definition?.responseData ?? []) {
      if (definition!.responseDelayMs > 0) await sleep(definition!.responseDelayMs);
      yield { payload: { data, requestInfo: info } };
      info = undefined; // the request info rides on the first answer only
    }
    if (definition?.error) throw errorOf(definition.error, info && anyPack(ConformancePayload_RequestInfoSchema, info));
  },
};

async function readRequest(): Promise<ReturnType<typeof fromBinary<typeof ServerCompatRequestSchema>>> {
  let buffered = Buffer.alloc(0);
  for await (const chunk of process.stdin) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      return fromBinary(ServerCompatRequestSchema, buffered.subarray(4, 4 + buffered.readUInt32BE(0)));
    }
  }
  throw new Error('stdin closed before a ServerCompatRequest');
}

const request = await readRequest();
if (request.useTls) throw new Error('TLS is not part of this configuration');
const readMaxBytes = request.messageReceiveLimit > 0 ? request.messageReceiveLimit : 4 * 1024 * 1024;
const acceptCompression = [compressionGzip, compressionBrotli];
const services = [serviceRoute(ConformanceService, impl as never)];
// Any fields in JSON need their types: the request info holds the request, errors' details too.
const jsonOptions = { registry: createRegistry(file_connectrpc_conformance_v1_service) };
const connectHandler = connectNodeAdapter({
  jsonOptions,
  routes: (router: ConnectRouter) => router.service(ConformanceService, impl as never),
  acceptCompression,
  readMaxBytes,
});
const options = { interceptors: [], contextValues: () => createContextValues(), acceptCompression, compressMinBytes: 1024, readMaxBytes, jsonOptions };
// WALLET_UNARY_HANDLER=off runs the suite against stock connect-node, to tell our differences from its own.
const handler = process.env.WALLET_UNARY_HANDLER === 'off' ? connectHandler : unaryHandler(services, options, connectHandler);
const server = new WalletServer(handler, createLogger('silent'));
const port = await server.listen(0, '127.0.0.1');
const response = toBinary(ServerCompatResponseSchema, create(ServerCompatResponseSchema, { host: '127.0.0.1', port }));
const prefix = Buffer.alloc(4);
prefix.writeUInt32BE(response.byteLength);
process.stdout.write(Buffer.concat([prefix, response]));
const stop = () => void server.close(1000).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.once('end', stop);
