import http2 from 'node:http2';
import { fromBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { encodeEnvelope } from '@connectrpc/connect/protocol';
import { trailerParse } from '@connectrpc/connect/protocol-grpc-web';
import { BadRequestSchema, ErrorInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../gen/google/rpc/status_pb.js';

/**
 * Calls made by hand, bytes as a hostile client sends them, and their answers
 * decoded the same way for every protocol: what a client would be told.
 */
export interface RawAnswer {
  /** The gRPC spelling: "INVALID_ARGUMENT", "OK". */
  readonly code: string;
  readonly message: string;
  readonly reason?: string;
  readonly fields: string[];
  /** Response headers (and, for gRPC, trailers), lower-case names. */
  readonly headers: Record<string, string>;
  /** The answer's messages (undecoded), for a call that succeeded. */
  readonly messages: Buffer[];
}

export type RawProtocol = 'grpc' | 'grpc-web' | 'connect' | 'connect-stream';

export interface RawCall {
  readonly baseUrl: string;
  /** "/wallet.v1.WalletService/GetDepositAddress" */
  readonly path: string;
  readonly protocol: RawProtocol;
  /** The message bytes (for the enveloped protocols, one envelope is made of them unless `raw`). */
  readonly body: Uint8Array;
  readonly json?: boolean;
  readonly headers?: Record<string, string>;
  /** The body as it is, not enveloped. */
  readonly raw?: boolean;
  /** Sets the envelope's compressed flag (the body is already compressed). */
  readonly compressed?: boolean;
}

/** One call by hand: gRPC over raw HTTP/2, the others with fetch. */
export async function rawCall(call: RawCall): Promise<RawAnswer> {
  const enveloped = call.protocol !== 'connect' && !call.raw ? Buffer.from(encodeEnvelope(call.compressed ? 1 : 0, call.body)) : Buffer.from(call.body);
  const format = call.json ? 'json' : 'proto';
  const contentType = { grpc: `application/grpc+${format}`, 'grpc-web': `application/grpc-web+${format}`, connect: `application/${format}`, 'connect-stream': `application/connect+${format}` }[call.protocol];
  const headers = { 'content-type': contentType, ...call.headers };
  if (call.protocol === 'grpc') return grpcCall(call.baseUrl, call.path, enveloped, headers);
  const res = await fetch(`${call.baseUrl}${call.path}`, { method: 'POST', headers, body: enveloped });
  const responseHeaders = Object.fromEntries(res.headers);
  const data = Buffer.from(await res.arrayBuffer());
  if (call.protocol === 'connect') {
    if (res.status === 200) return { code: 'OK', message: '', fields: [], headers: responseHeaders, messages: [data] };
    return { ...connectError(JSON.parse(data.toString()) as ConnectJsonError), headers: responseHeaders, messages: [] };
  }
  const envelopes = splitEnvelopes(data);
  const messages = envelopes.filter((e) => e.flags === 0 || e.flags === 1).map((e) => e.data);
  if (call.protocol === 'grpc-web') {
    const trailer = envelopes.find((e) => e.flags & 0x80);
    const trailers = trailer ? Object.fromEntries(trailerParse(trailer.data)) : {};
    return { ...grpcStatusOf({ ...responseHeaders, ...trailers }), headers: { ...responseHeaders, ...trailers }, messages };
  }
  const end = envelopes.find((e) => e.flags & 0x02);
  const endStream = end ? (JSON.parse(end.data.toString()) as { error?: ConnectJsonError }) : {};
  const error = endStream.error ? connectError(endStream.error) : { code: 'OK', message: '', fields: [] };
  return { ...error, headers: responseHeaders, messages };
}

function grpcCall(baseUrl: string, path: string, body: Buffer, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': path, te: 'trailers', ...headers });
    const chunks: Buffer[] = [];
    let all: Record<string, string> = {};
    const keep = (h: http2.IncomingHttpHeaders) => (all = { ...all, ...Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, String(v)])) });
    stream.on('response', keep);
    stream.on('trailers', keep);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      session.close();
      const messages = splitEnvelopes(Buffer.concat(chunks)).map((e) => e.data);
      resolve({ ...grpcStatusOf(all), headers: all, messages });
    });
    stream.on('error', reject);
    stream.end(body);
  });
}

function splitEnvelopes(data: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= data.length; ) {
    const length = data.readUInt32BE(at + 1);
    out.push({ flags: data[at]!, data: data.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

function grpcStatusOf(headers: Record<string, string>): Omit<RawAnswer, 'headers' | 'messages'> {
  const code = Number(headers['grpc-status'] ?? Code.Unknown);
  const answer = { code: codeName(code), message: decodeURIComponent(headers['grpc-message'] ?? ''), fields: [] as string[], reason: undefined as string | undefined };
  const details = headers['grpc-status-details-bin'];
  if (details) {
    for (const any of fromBinary(StatusSchema, Buffer.from(details, 'base64')).details) decodeDetail(any.typeUrl, any.value, answer);
  }
  return answer;
}

interface ConnectJsonError {
  code: string;
  message?: string;
  details?: { type: string; value: string }[];
}

function connectError(error: ConnectJsonError): Omit<RawAnswer, 'headers' | 'messages'> {
  const answer = { code: error.code.toUpperCase(), message: error.message ?? '', fields: [] as string[], reason: undefined as string | undefined };
  for (const d of error.details ?? []) decodeDetail(d.type, Buffer.from(d.value, 'base64'), answer);
  return answer;
}

function decodeDetail(type: string, value: Uint8Array, into: { reason?: string; fields: string[] }): void {
  if (type.endsWith('google.rpc.ErrorInfo')) into.reason = fromBinary(ErrorInfoSchema, value).reason;
  if (type.endsWith('google.rpc.BadRequest')) into.fields = fromBinary(BadRequestSchema, value).fieldViolations.map((v) => v.field);
}

function codeName(code: number): string {
  if (code === 0) return 'OK';
  return (Code[code] ?? String(code)).replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The value of one series of a Prometheus counter in `GET /metrics`, 0 when absent. */
export async function counterValue(baseUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
