import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { create, toBinary } from '@bufbuild/protobuf';
import { createClient, type Interceptor } from '@connectrpc/connect';
import { compressionGzip, createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { GetDepositAddressRequestSchema, WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient, connectError, GrpcJsClient, grpcError } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';
import { counterValue, type RawAnswer, rawCall, type RawProtocol } from '../support/raw-rpc.js';
import { startTestService, type TestService } from '../support/service.js';

const logs = useLogCapture();
let svc: TestService;
let token: string;
let userId: string;

beforeAll(async () => {
  svc = await startTestService(logs, { vault: false });
  userId = randomUUID();
  token = await svc.token(userId);
});
afterAll(() => svc?.stop());

const GET = '/wallet.v1.WalletService/GetDepositAddress';
const CREATE = '/wallet.v1.WalletService/CreateDepositAddress';
const SYNC = '/wallet.v1.WalletService/SyncDepositAddresses';
const WATCH = '/grpc.health.v1.Health/Watch';
const ID = '7b3c1a52-5d0e-4c7e-9a59-1f4f3c1d2e01';

const bytes = (...parts: (number[] | Uint8Array | string)[]) => Buffer.concat(parts.map((p) => Buffer.from(p as never)));
const INVALID_UTF8 = [0xc3, 0x28];
/** CreateDepositAddressRequest{user_metadata: {"k": <value>}} (field 6, an entry of key 1 and value 2). */
const metadataEntry = (value: number[]) => bytes([0x32, 5 + value.length, 0x0a, 0x01, 0x6b, 0x12, value.length], value);

/** The call observer's line for the call sent with this request id. */
const callLine = (requestId: string) => logs.entries().find((e) => e.requestId === requestId && (e.msg === 'call' || e.msg === 'call failed'));
const calls = (method: string, code: string) => counterValue(svc.baseUrl, 'wallet_rpc_calls_total', { method, code });

/**
 * Sends a hostile call and checks what the issue asks of every one: the code,
 * the field named where one is known, and a log line and a metric like any call.
 */
async function refused(call: { path: string; protocol: RawProtocol; body: Uint8Array; json?: boolean; headers?: Record<string, string>; compressed?: boolean }, expected: { code?: string; fields?: string[] } = {}): Promise<RawAnswer> {
  const method = call.path.slice(1);
  const code = expected.code ?? 'INVALID_ARGUMENT';
  const before = await calls(method, code);
  const requestId = `hostile-${randomUUID()}`;
  const answer = await rawCall({ baseUrl: svc.baseUrl, ...call, headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId, ...call.headers } });
  const what = `${call.protocol} ${call.path} ${Buffer.from(call.body).toString('hex').slice(0, 40)}`;
  expect(answer.code, what).toBe(code);
  if (code === 'INVALID_ARGUMENT') expect(answer.reason, what).toBe('VALIDATION_FAILED');
  if (expected.fields) expect(answer.fields, what).toEqual(expected.fields);
  await expect.poll(() => callLine(requestId), { timeout: 2000 }).toMatchObject({ rpc: method, code });
  await expect.poll(() => calls(method, code)).toBe(before + 1);
  return answer;
}

describe('malformed protobuf', () => {
  const valid = toBinary(GetDepositAddressRequestSchema, create(GetDepositAddressRequestSchema, { id: ID }));
  // What each body does to a request whose field 1 is a string (GetDepositAddress.id, HealthCheckRequest.service,
  // SyncDepositAddressesRequest.exchange_account_id), and the field a unary call names.
  const bodies: [string, Buffer, string[]][] = [
    ['garbage', bytes([0xff, 0xff, 0xff, 0xff]), []],
    ['a truncated field', Buffer.from(valid.subarray(0, 12)), ['<field 1>']],
    ['a wrong wire type', bytes([0x08, 0x96, 0x01]), ['<field 1>']],
    ['invalid UTF-8 in a string', bytes([0x0a, 0x02], INVALID_UTF8), ['<field 1>']],
  ];
  const named = (fields: string[], name: string) => fields.map((f) => f.replace('<field 1>', name));

  it.each(bodies)('answers %s INVALID_ARGUMENT over gRPC, gzipped gRPC, gRPC-Web and Connect binary, unary, naming the field', async (_, body, fields) => {
    for (const protocol of ['grpc', 'grpc-web', 'connect'] as const) await refused({ path: GET, protocol, body }, { fields: named(fields, 'id') });
    await refused({ path: GET, protocol: 'grpc', body: gzipSync(body), compressed: true, headers: { 'grpc-encoding': 'gzip' } }, { fields: named(fields, 'id') });
  });

  it.each(bodies)('answers %s INVALID_ARGUMENT on server streams (SyncDepositAddresses, Health Watch) over gRPC, gRPC-Web and Connect', async (_, body) => {
    for (const path of [SYNC, WATCH]) {
      for (const protocol of ['grpc', 'grpc-web', 'connect-stream'] as const) await refused({ path, protocol, body });
    }
  });

  it('answers invalid UTF-8 in a map value INVALID_ARGUMENT naming the entry', async () => {
    for (const protocol of ['grpc', 'connect'] as const) await refused({ path: CREATE, protocol, body: metadataEntry(INVALID_UTF8) }, { fields: ['user_metadata["k"]'] });
  });

  it('refuses a wrong wire type that protobuf-es alone would read as another, valid message', async () => {
    // view (an enum, field 2) sent length-delimited and empty: read as view 0, the call answered as if well-formed.
    await refused({ path: GET, protocol: 'grpc', body: bytes([0x0a, 0x24], ID, [0x12, 0x00]) }, { fields: ['view'] });
  });

  it('still answers a well-formed message', async () => {
    const answer = await rawCall({ baseUrl: svc.baseUrl, path: GET, protocol: 'grpc', body: valid, headers: { authorization: `Bearer ${token}` } });
    expect(answer.code).toBe('NOT_FOUND');
  });
});

describe('unsupported compression', () => {
  it('answers an unknown grpc-encoding UNIMPLEMENTED with grpc-accept-encoding, unary and streaming, logged and counted', async () => {
    for (const path of [GET, SYNC, WATCH]) {
      const answer = await refused({ path, protocol: 'grpc', body: bytes([0x0a, 0x01, 0x41]), compressed: true, headers: { 'grpc-encoding': 'snappy' } }, { code: 'UNIMPLEMENTED' });
      expect(answer.headers['grpc-accept-encoding'], path).toBe('gzip,br');
    }
    const connect = await refused({ path: GET, protocol: 'connect', body: bytes([0x0a, 0x01, 0x41]), headers: { 'content-encoding': 'snappy' } }, { code: 'UNIMPLEMENTED' });
    expect(connect.headers['accept-encoding']).toBe('gzip,br');
  });

  it('keeps taking gzip, unary and streaming', async () => {
    const bearer: Interceptor = (next) => (req) => {
      req.header.set('authorization', `Bearer ${token}`);
      return next(req);
    };
    const client = createClient(WalletService, createGrpcTransport({ baseUrl: svc.baseUrl, sendCompression: compressionGzip, compressMinBytes: 0, interceptors: [bearer] }));
    expect((await connectError(client.getDepositAddress({ id: ID }))).code).toBe('NOT_FOUND');
    const health = createClient(Health, createGrpcTransport({ baseUrl: svc.baseUrl, sendCompression: compressionGzip, compressMinBytes: 0 }));
    for await (const status of health.watch({})) {
      expect(status.status).toBeGreaterThan(0);
      break;
    }
  });
});

describe('wrong JSON types and credentials', () => {
  const SECRET_NUMBER = 73582079113;

  it('names credentials.api_key when it is not a string, and never says its value', async () => {
    logs.registerSecret(String(SECRET_NUMBER));
    const request = { exchangeId: 'binance', accountName: 'typed', credentials: { api_key: SECRET_NUMBER, api_secret: 'not-a-secret-here' } };
    const path = '/wallet.v1.WalletService/CreateExchangeAccount';
    for (const protocol of ['connect', 'grpc', 'grpc-web'] as const) {
      const answer = await refused({ path, protocol, json: true, body: Buffer.from(JSON.stringify(request)) }, { fields: ['credentials.api_key'] });
      expect(JSON.stringify(answer)).not.toContain(String(SECRET_NUMBER));
      expect(answer.message).toBe('invalid request: credentials.api_key: must be a string');
    }
    // Over gRPC binary the wrong type is a wrong wire type: api_key (field 1 of credentials, field 3) as a varint.
    const varint = bytes([0x1a, 0x07, 0x08, 0x89, 0xc3, 0xb6, 0x8e, 0x92, 0x02]);
    const binary = await refused({ path, protocol: 'grpc', body: varint }, { fields: ['credentials.api_key'] });
    expect(binary.message).toBe('invalid request: credentials.api_key: has the wrong wire type');
  });

  it('names a top-level field of a streaming JSON request without its value', async () => {
    const answer = await refused({ path: SYNC, protocol: 'connect-stream', json: true, body: Buffer.from(`{"exchangeAccountId": ${SECRET_NUMBER}}`) }, { fields: ['exchange_account_id'] });
    expect(JSON.stringify(answer)).not.toContain(String(SECRET_NUMBER));
  });
});

describe('NUL characters', () => {
  const NUL = '\u0000';

  it('refuses a NUL in any string field as INVALID_ARGUMENT naming it, before the database, over Connect JSON and gRPC', async () => {
    const client = connectClient(WalletService, svc.baseUrl, token);
    const grpc = new GrpcJsClient(WalletService, svc.port);
    const apiKey = `key-${randomUUID()}${NUL}`;
    logs.registerSecret(apiKey.slice(0, -1));
    const cases: [string, object, string[]][] = [
      ['ListDepositAddresses', { currency: `BTC${NUL}` }, ['currency']],
      ['ListDepositAddressesByCurrency', { currency: `${NUL}` }, ['currency']],
      ['CreateExchangeAccount', { exchangeId: 'binance', accountName: 'nul', credentials: { apiKey, apiSecret: 'secret-nul' }, metadata: { team: `a${NUL}`, [`k${NUL}`]: 'v' } }, ['credentials.api_key', 'metadata["team"]', 'metadata']],
      ['UpdateDepositAddress', { depositAddress: { id: ID, userMetadata: { note: `x${NUL}` } }, updateMask: { paths: ['user_metadata'] } }, ['deposit_address.user_metadata["note"]']],
      ['BatchCreateDepositAddresses', { exchangeAccountId: ID, requests: [{ currency: 'BTC' }, { currency: 'ETH', label: `l${NUL}` }] }, ['requests[1].label']],
      ['CreateDepositAddress', { exchangeAccountId: ID, currency: 'BTC', description: NUL }, ['description']],
    ];
    try {
      for (const [method, request, fields] of cases) {
        const viaConnect = await connectError((client as unknown as Record<string, (r: object) => Promise<unknown>>)[method.charAt(0).toLowerCase() + method.slice(1)]!(request));
        expect(viaConnect, method).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'VALIDATION_FAILED' });
        expect(viaConnect.fieldViolations.map((v) => v.field), method).toEqual(fields);
        expect(JSON.stringify(viaConnect)).not.toContain(apiKey.slice(0, -1));
        const viaGrpc = await grpcError(grpc.unary(method, request, token));
        expect(viaGrpc.fieldViolations.map((v) => v.field), method).toEqual(fields);
        expect(await calls(`wallet.v1.WalletService/${method}`, 'INVALID_ARGUMENT')).toBeGreaterThanOrEqual(2);
      }
      const stream = await grpcError(grpc.stream('SyncDepositAddresses', { exchangeAccountId: ID, currencies: [`BTC${NUL}`] }, token));
      expect(stream).toMatchObject({ code: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'currencies[0]' }] });
      const health = await connectError(connectClient(Health, svc.baseUrl, undefined, 'grpc').check({ service: NUL }));
      expect(health).toMatchObject({ code: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'service' }] });
    } finally {
      grpc.close();
    }
    // Nothing reached PostgreSQL to fail there: no call answered INTERNAL, no error line.
    expect(logs.entries().filter((e) => e.code === 'INTERNAL' || e.level === 50)).toEqual([]);
  });
});

describe('page tokens', () => {
  const scope = () => `accounts:${userId}:false`;
  /** A token in the former, unkeyed format: anyone could make one. */
  const legacyToken = (at: unknown, id: unknown, tokenScope = scope()) =>
    Buffer.from(JSON.stringify([at, id, createHash('sha256').update(tokenScope).digest('base64url').slice(0, 12)])).toString('base64url');

  beforeAll(async () => {
    const client = connectClient(WalletService, svc.baseUrl, token);
    for (const name of ['page-a', 'page-b', 'page-c']) {
      const creds = { apiKey: `key-${randomUUID()}`, apiSecret: `secret-${randomUUID()}` };
      logs.registerSecret(creds.apiKey, creds.apiSecret);
      await client.createExchangeAccount({ exchangeId: 'binance', accountName: name, credentials: creds });
    }
  });

  it('refuses a forged cursor as INVALID_ARGUMENT on page_token, not INTERNAL', async () => {
    const client = connectClient(WalletService, svc.baseUrl, token);
    const forged = [
      legacyToken('x', randomUUID()),
      legacyToken(new Date().toISOString(), 'not-hex-at-all'),
      legacyToken('+275760-09-13T00:00:00.000Z', randomUUID()),
      legacyToken('-271821-04-20T00:00:00.000Z', randomUUID()),
      legacyToken(new Date().toISOString(), randomUUID()),
    ];
    for (const pageToken of forged) {
      expect(await connectError(client.listExchangeAccounts({ pageSize: 1, pageToken })), pageToken).toMatchObject({ code: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'page_token' }] });
    }
    const list = await connectError(client.listSupportedExchanges({ pageSize: 5, pageToken: Buffer.from(`5:${createHash('sha256').update('supported-exchanges').digest('base64url').slice(0, 12)}`).toString('base64url') }));
    expect(list).toMatchObject({ code: 'INVALID_ARGUMENT', fieldViolations: [{ field: 'page_token' }] });
  });

  it('pages with its own tokens, refuses them altered or for another user, and shares them with another replica on the same database', async () => {
    const client = connectClient(WalletService, svc.baseUrl, token);
    const first = await client.listExchangeAccounts({ pageSize: 1 });
    expect(first.exchangeAccounts.map((a) => a.accountName)).toEqual(['page-a']);
    const [body, mac] = first.nextPageToken.split('.');
    const altered = `${Buffer.from(JSON.stringify([Date.now(), randomUUID()])).toString('base64url')}.${mac}`;
    expect(await connectError(client.listExchangeAccounts({ pageSize: 1, pageToken: altered }))).toMatchObject({ fieldViolations: [{ field: 'page_token' }] });
    expect(body).toBeTruthy();
    const other = connectClient(WalletService, svc.baseUrl, await svc.token());
    expect(await connectError(other.listExchangeAccounts({ pageSize: 1, pageToken: first.nextPageToken }))).toMatchObject({ fieldViolations: [{ field: 'page_token' }] });

    // Another replica on the same database (started after this one: it reads the key this one made).
    const replica = await startTestService(logs, { vault: false, database: svc.database, env: { WALLET_JWT_SECRET: svc.jwtSecret } });
    try {
      const there = connectClient(WalletService, replica.baseUrl, token);
      const second = await there.listExchangeAccounts({ pageSize: 1, pageToken: first.nextPageToken });
      expect(second.exchangeAccounts.map((a) => a.accountName)).toEqual(['page-b']);
      const third = await client.listExchangeAccounts({ pageSize: 1, pageToken: second.nextPageToken });
      expect(third.exchangeAccounts.map((a) => a.accountName)).toEqual(['page-c']);
      const exchanges = await client.listSupportedExchanges({ pageSize: 5 });
      expect((await there.listSupportedExchanges({ pageSize: 5, pageToken: exchanges.nextPageToken })).exchanges).toHaveLength(3);
    } finally {
      await replica.stop();
    }
  });
});

describe('a full connection pool', () => {
  it('answers UNAVAILABLE DATABASE_UNAVAILABLE with retry advice, not INTERNAL, while every connection is in use', { timeout: 40_000 }, async () => {
    const own = await startTestService(logs, { vault: false });
    try {
      const client = connectClient(WalletService, own.baseUrl, await own.token());
      await client.listExchangeAccounts({});
      // Every query on exchange_accounts waits on this lock, holding its pool connection (20): the next ones wait for a
      // connection until the pool's acquire timeout (5 s).
      const outcome = await withPgClient(own.database.url, async (pg) => {
        await pg.query('begin');
        await pg.query('lock table exchange_accounts in access exclusive mode');
        const pending = Array.from({ length: 24 }, () => client.listExchangeAccounts({}).then(() => 'OK', async (err: unknown) => connectError(Promise.reject(err))));
        const first = await Promise.race(pending);
        await pg.query('rollback');
        return { first, all: await Promise.all(pending) };
      });
      expect(outcome.first).toMatchObject({ code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE', retryDelayMs: 2000 });
      const codes = outcome.all.map((o) => (typeof o === 'string' ? o : o.code));
      // 24 calls for 20 connections: 4 wait for one (fewer when the lock goes before their timeout).
      expect(codes.filter((c) => c === 'UNAVAILABLE').length).toBeGreaterThanOrEqual(1);
      expect(codes.filter((c) => c !== 'UNAVAILABLE' && c !== 'OK')).toEqual([]);
      expect(await client.listExchangeAccounts({})).toBeTruthy();
    } finally {
      await own.stop();
    }
  });
});
