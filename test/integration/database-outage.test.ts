import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Health, HealthCheckResponse_ServingStatus as Serving } from '../../gen/grpc/health/v1/health_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { connectClient, connectError } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { startTestService, type TestService } from '../support/service.js';

const logs = useLogCapture();
let dir: string;
let pg: RunningPostgres;
let port: number;
let svc: TestService;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wallet-test-outage-'));
  pg = await startEmbeddedPostgres({ dir });
  port = Number(new URL(pg.url).port);
  svc = await startTestService(logs, { vault: false, database: { url: pg.url, drop: async () => undefined } });
});
afterAll(async () => {
  await svc?.stop();
  await pg?.stop();
});

it('answers UNAVAILABLE with retry advice and reports NOT_SERVING while the database is down, then recovers', async () => {
  const client = connectClient(WalletService, svc.baseUrl, await svc.token());
  const health = connectClient(Health, svc.baseUrl, undefined);
  const creds = { apiKey: `key-${randomUUID()}`, apiSecret: `secret-${randomUUID()}` };
  logs.registerSecret(creds.apiKey, creds.apiSecret);
  await client.createExchangeAccount({ exchangeId: 'binance', accountName: 'before', credentials: creds });

  await pg.stop();
  const started = Date.now();
  const err = await connectError(client.listExchangeAccounts({}));
  expect(err).toMatchObject({ code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE', retryDelayMs: 2000 });
  expect(Date.now() - started).toBeLessThan(8000);
  await expect.poll(async () => (await health.check({})).status, { timeout: 5000 }).toBe(Serving.NOT_SERVING);

  pg = await startEmbeddedPostgres({ dir, port });
  await expect.poll(async () => (await health.check({})).status, { timeout: 8000 }).toBe(Serving.SERVING);
  await expect.poll(async () => (await client.listExchangeAccounts({})).exchangeAccounts.map((a) => a.accountName), { timeout: 8000 }).toEqual(['before']);
});
