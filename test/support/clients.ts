import type { DescMessage, DescService } from '@bufbuild/protobuf';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type Client, ConnectError, createClient, type Interceptor, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../gen/google/rpc/status_pb.js';

/** A Connect-ES client whose every call carries `authorization: Bearer <token>`. */
export function connectClient<S extends DescService>(
  service: S,
  baseUrl: string,
  token: string | undefined,
  protocol: 'connect-http1' | 'connect-h2' | 'grpc-web' | 'grpc' = 'connect-http1',
): Client<S> {
  const bearer: Interceptor = (next) => (req) => {
    if (token !== undefined) req.header.set('authorization', `Bearer ${token}`);
    return next(req);
  };
  let transport: Transport;
  if (protocol === 'connect-http1') transport = createConnectTransport({ baseUrl, httpVersion: '1.1', interceptors: [bearer] });
  else if (protocol === 'connect-h2') transport = createConnectTransport({ baseUrl, httpVersion: '2', interceptors: [bearer] });
  else if (protocol === 'grpc-web') transport = createGrpcWebTransport({ baseUrl, httpVersion: '1.1', interceptors: [bearer] });
  else transport = createGrpcTransport({ baseUrl, interceptors: [bearer] });
  return createClient(service, transport);
}

/** What a failed call said, the same for every client kind: code name, message and decoded details. */
export interface CallError {
  code: string;
  message: string;
  reason?: string;
  metadata?: Record<string, string>;
  retryDelayMs?: number;
  fieldViolations: { field: string; description: string }[];
}

/** Runs a Connect-ES call that must fail and returns its error, decoded. */
export async function connectError(call: Promise<unknown>): Promise<CallError> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    const info = e.findDetails(ErrorInfoSchema)[0];
    const retry = e.findDetails(RetryInfoSchema)[0];
    const bad = e.findDetails(BadRequestSchema)[0];
    return {
      code: codeName(e.code),
      message: e.rawMessage,
      reason: info?.reason,
      metadata: info ? { ...info.metadata } : undefined,
      retryDelayMs: retry?.retryDelay ? Number(retry.retryDelay.seconds) * 1000 + retry.retryDelay.nanos / 1e6 : undefined,
      fieldViolations: bad?.fieldViolations.map((v) => ({ field: v.field, description: v.description })) ?? [],
    };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function codeName(code: number): string {
  return Object.entries(grpc.status).find(([, value]) => value === code)?.[0] ?? String(code);
}

/**
 * A plain @grpc/grpc-js client, as the trading engine has: unary methods
 * promisified, serialized with the generated protobuf-es schemas.
 */
export class GrpcJsClient {
  private readonly client: grpc.Client;
  private readonly service: DescService;

  constructor(service: DescService, port: number) {
    this.service = service;
    const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
    for (const method of service.methods) {
      definition[method.name] = {
        path: `/${service.typeName}/${method.name}`,
        requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
        responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
        requestSerialize: (m: object) => Buffer.from(toBinary(method.input, m as never)),
        requestDeserialize: (b: Buffer) => fromBinary(method.input, b),
        responseSerialize: (m: object) => Buffer.from(toBinary(method.output, m as never)),
        responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
      };
    }
    const Ctor = grpc.makeGenericClientConstructor(definition, service.name);
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  /** Calls a unary method by its proto name ("GetExchangeAccount") with a bearer token. */
  unary<O = unknown>(methodName: string, request: object, token?: string): Promise<O> {
    const method = this.service.methods.find((m) => m.name === methodName);
    if (!method) throw new Error(`no method ${methodName}`);
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    const fn = (this.client as unknown as Record<string, (...args: unknown[]) => void>)[methodName]!;
    const message = create(method.input, request as never);
    return new Promise((resolve, reject) => fn.call(this.client, message, metadata, (err: unknown, res: O) => (err ? reject(err) : resolve(res))));
  }

  /** Reads a server stream to its end. */
  async stream<O = unknown>(methodName: string, request: object, token?: string): Promise<O[]> {
    const method = this.service.methods.find((m) => m.name === methodName)!;
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    const fn = (this.client as unknown as Record<string, (...args: unknown[]) => grpc.ClientReadableStream<O>>)[methodName]!;
    const call = fn.call(this.client, create(method.input, request as never), metadata);
    const out: O[] = [];
    for await (const message of call) out.push(message as O);
    return out;
  }

  close(): void {
    this.client.close();
  }
}

/** Runs a grpc-js call that must fail and decodes its status and grpc-status-details-bin. */
export async function grpcError(call: Promise<unknown>): Promise<CallError> {
  try {
    await call;
  } catch (err) {
    const e = err as grpc.ServiceError;
    const raw = e.metadata?.get('grpc-status-details-bin')[0];
    const out: CallError = { code: codeName(e.code), message: e.details, fieldViolations: [] };
    if (raw) {
      const status = fromBinary(StatusSchema, raw as Buffer);
      for (const any of status.details) {
        const decode = <T extends DescMessage>(schema: T) => fromBinary(schema, any.value);
        if (any.typeUrl.endsWith('google.rpc.ErrorInfo')) {
          const info = decode(ErrorInfoSchema);
          out.reason = info.reason;
          out.metadata = { ...info.metadata };
        } else if (any.typeUrl.endsWith('google.rpc.RetryInfo')) {
          const d = decode(RetryInfoSchema).retryDelay;
          out.retryDelayMs = d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : undefined;
        } else if (any.typeUrl.endsWith('google.rpc.BadRequest')) {
          out.fieldViolations = decode(BadRequestSchema).fieldViolations.map((v) => ({ field: v.field, description: v.description }));
        }
      }
    }
    return out;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
