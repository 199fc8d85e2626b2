import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Serving } from '../../gen/grpc/health/v1/health_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient, connectError, GrpcJsClient, grpcError } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';
import { startTestService, type TestService } from '../support/service.js';

const run = promisify(execFile);
const logs = useLogCapture();
let svc: TestService;
let token: string;

beforeAll(async () => {
  svc = await startTestService(logs, { vault: false });
  token = await svc.token();
});
afterAll(() => svc?.stop());

const credentials = () => {
  const c = { apiKey: `key-${randomUUID()}`, apiSecret: `secret-${randomUUID()}`, passphrase: '' };
  logs.registerSecret(c.apiKey, c.apiSecret);
  return c;
};

describe('one port, every protocol', () => {
  it.each(['connect-http1', 'connect-h2', 'grpc-web', 'grpc'] as const)('serves %s', async (protocol) => {
    const client = connectClient(WalletService, svc.baseUrl, token, protocol);
    const created = await client.createExchangeAccount({ exchangeId: 'binance', accountName: `via-${protocol}`, credentials: credentials() });
    const got = await client.getExchangeAccount({ id: created.exchangeAccount!.id });
    expect(got.exchangeAccount!.accountName).toBe(`via-${protocol}`);
    expect(await connectError(client.getExchangeAccount({ id: randomUUID() }))).toMatchObject({ code: 'NOT_FOUND', reason: 'EXCHANGE_ACCOUNT_NOT_FOUND' });
  });

  it('serves grpc-js, the trading engine\'s client, with codes and error details', async () => {
    const grpc = new GrpcJsClient(WalletService, svc.port);
    try {
      const res = await grpc.unary<{ exchanges: unknown[] }>('ListSupportedExchanges', {}, token);
      expect(res.exchanges).toHaveLength(8);
      const err = await grpcError(grpc.unary('CreateExchangeAccount', { exchangeId: 'okx', accountName: 'x', credentials: credentials() }, token));
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'VALIDATION_FAILED', fieldViolations: [{ field: 'credentials.passphrase', description: 'required for okx' }] });
    } finally {
      grpc.close();
    }
  });

  it('refuses a request over 4 MiB with RESOURCE_EXHAUSTED, signed in or not', async () => {
    const huge = { exchangeId: 'binance', accountName: 'x'.repeat(4 * 1024 * 1024), credentials: credentials() };
    const grpc = new GrpcJsClient(WalletService, svc.port);
    try {
      expect(await grpcError(grpc.unary('CreateExchangeAccount', huge))).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
      expect(await grpcError(grpc.unary('CreateExchangeAccount', huge, token))).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
      const res = await fetch(`${svc.baseUrl}/wallet.v1.WalletService/CreateExchangeAccount`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(huge),
      });
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ code: 'resource_exhausted' });
    } finally {
      grpc.close();
    }
  });

  it('answers curl: Connect JSON over HTTP/1.1 and over h2c', async () => {
    const url = `${svc.baseUrl}/wallet.v1.WalletService/GetExchangeInfo`;
    for (const version of ['--http1.1', '--http2-prior-knowledge']) {
      const { stdout } = await run('curl', ['-sS', version, '-X', 'POST', '-H', 'content-type: application/json', '-H', `authorization: Bearer ${token}`, '--data', '{"exchangeId":"kraken"}', '-w', '\n%{http_version}', url]);
      const [body, httpVersion] = stdout.split('\n');
      expect(JSON.parse(body!)).toMatchObject({ exchange: { id: 'kraken', ccxtId: 'kraken' }, capabilities: { fetchDepositAddress: true } });
      expect(httpVersion).toBe(version === '--http1.1' ? '1.1' : '2');
    }
    const { stdout } = await run('curl', ['-sS', '-X', 'POST', '-H', 'content-type: application/json', '--data', '{}', '-w', '\n%{http_code}', `${svc.baseUrl}/wallet.v1.WalletService/ListExchangeAccounts`]);
    const [body, status] = stdout.split('\n');
    expect(status).toBe('401');
    expect(JSON.parse(body!)).toMatchObject({ code: 'unauthenticated' });
  });

  it('serves Prometheus metrics by RPC and code on GET /metrics', async () => {
    await connectClient(WalletService, svc.baseUrl, token).listSupportedExchanges({});
    await connectError(connectClient(WalletService, svc.baseUrl, undefined).listSupportedExchanges({}));
    const res = await fetch(`${svc.baseUrl}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/wallet_rpc_calls_total\{method="wallet\.v1\.WalletService\/ListSupportedExchanges",code="OK"\} [1-9]/);
    expect(text).toMatch(/wallet_rpc_calls_total\{method="wallet\.v1\.WalletService\/ListSupportedExchanges",code="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toMatch(/wallet_rpc_duration_seconds_bucket\{le="0\.01",method="wallet\.v1\.WalletService\/ListSupportedExchanges",code="OK"\}/);
    // The runtime the project brings (the `node` package): Node 24 LTS, not the machine's Node 20.
    const major = Number(/nodejs_version_info\{[^}]*major="(\d+)"/.exec(text)?.[1]);
    expect(major).toBeGreaterThanOrEqual(24);
  });

  it('logs one line per call with RPC, code, duration, user and request id', async () => {
    const requestId = `req-${randomUUID()}`;
    const client = connectClient(WalletService, svc.baseUrl, token);
    await client.listExchangeAccounts({}, { headers: { 'x-request-id': requestId } });
    const lines = logs.entries().filter((e) => e.requestId === requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ rpc: 'wallet.v1.WalletService/ListExchangeAccounts', code: 'OK', msg: 'call' });
    expect(typeof lines[0]!.durationMs).toBe('number');
    expect(lines[0]!.userId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('grpcurl', () => {
  const grpcurl = (...args: string[]) => run(inject('grpcurlPath'), ['-plaintext', ...args]);

  it('lists the services through reflection', async () => {
    const { stdout } = await grpcurl(`127.0.0.1:${svc.port}`, 'list');
    expect(stdout.trim().split('\n').sort()).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'wallet.v1.AdminService',
      'wallet.v1.WalletService',
    ]);
  });

  it('describes a service and a message', async () => {
    const service = await grpcurl(`127.0.0.1:${svc.port}`, 'describe', 'wallet.v1.WalletService');
    expect(service.stdout).toContain('rpc SyncDepositAddresses ( .wallet.v1.SyncDepositAddressesRequest ) returns ( stream .wallet.v1.SyncDepositAddressesResponse );');
    const message = await grpcurl(`127.0.0.1:${svc.port}`, 'describe', 'wallet.v1.ExchangeAccount');
    expect(message.stdout).toContain('string api_key_hint = 11;');
  });

  it('calls an RPC with a token, and shows decoded error details', async () => {
    const ok = await grpcurl('-H', `authorization: Bearer ${token}`, '-d', '{"exchange_id":"okx"}', `127.0.0.1:${svc.port}`, 'wallet.v1.WalletService/GetExchangeInfo');
    expect(JSON.parse(ok.stdout)).toMatchObject({ exchange: { id: 'okx', requiresPassphrase: true } });
    const failed = await grpcurl('-H', `authorization: Bearer ${token}`, '-d', '{"id":"nope"}', `127.0.0.1:${svc.port}`, 'wallet.v1.WalletService/GetExchangeAccount').catch((e: { stdout: string; stderr: string }) => e);
    const text = `${(failed as { stdout: string }).stdout}${(failed as { stderr: string }).stderr}`;
    expect(text).toContain('Code: InvalidArgument');
    expect(text).toContain('"@type": "type.googleapis.com/google.rpc.BadRequest"');
    expect(text).toContain('"field": "id"');
  });

  it('checks health', async () => {
    const { stdout } = await grpcurl(`127.0.0.1:${svc.port}`, 'grpc.health.v1.Health/Check');
    expect(JSON.parse(stdout)).toEqual({ status: 'SERVING' });
  });
});

describe('health', () => {
  it('knows the server and the wallet services, and no other', async () => {
    const health = connectClient(Health, svc.baseUrl, undefined, 'grpc');
    for (const service of ['', 'wallet.v1.WalletService', 'wallet.v1.AdminService']) {
      expect((await health.check({ service })).status).toBe(Serving.SERVING);
    }
    expect((await connectError(health.check({ service: 'nope.Service' }))).code).toBe('NOT_FOUND');
  });
});

describe('unexpected errors', () => {
  it('answers INTERNAL with nothing of the cause, and logs the cause', async () => {
    const broken = await startTestService(logs, { vault: false });
    try {
      const client = connectClient(WalletService, broken.baseUrl, await broken.token());
      await withPgClient(broken.database.url, (pg) => pg.query('alter table exchange_accounts rename to exchange_accounts_gone'));
      const err = await connectError(client.listExchangeAccounts({}));
      expect(err).toMatchObject({ code: 'INTERNAL', message: 'internal error', reason: 'INTERNAL' });
      const logged = logs.entries().find((e) => e.rpc === 'wallet.v1.WalletService/ListExchangeAccounts' && e.code === 'INTERNAL');
      expect(JSON.stringify(logged?.err)).toContain('relation \\"exchange_accounts\\" does not exist');
    } finally {
      await broken.stop();
    }
  });
});

describe('the README\'s grpc-js example', () => {
  it('works as written: proto-loader on proto/, a bearer token in metadata', async () => {
    const grpc = await import('@grpc/grpc-js');
    const protoLoader = await import('@grpc/proto-loader');
    const definition = protoLoader.loadSync('wallet/v1/wallet_service.proto', { includeDirs: ['proto'] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const wallet = (grpc.loadPackageDefinition(definition) as any).wallet.v1;
    const client = new wallet.WalletService(`localhost:${svc.port}`, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const res = await new Promise<{ exchangeAccounts: unknown[] }>((resolve, reject) =>
      client.ListExchangeAccounts({ pageSize: 10 }, metadata, (err: Error | null, r: { exchangeAccounts: unknown[] }) => (err ? reject(err) : resolve(r))),
    );
    client.close();
    expect(res.exchangeAccounts.length).toBeGreaterThan(0);
  });
});
