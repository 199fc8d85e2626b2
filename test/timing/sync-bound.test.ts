import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { SyncStatus } from '../../gen/wallet/v1/sync_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { issueToken, ServiceProcess } from '../support/service-process.js';
import { useSimulatedProcess } from '../support/simulated-process.js';
import { generateCurrencies, makeCredentials } from '../simulator/index.js';

// A full sync takes the time the exchange's rate limit allows, not latency x count. The service
// runs as its own process, as in production, so the simulator (the exchange) does not share its CPU.

const logs = useLogCapture();
/** The exchange's limit, and ours: 40 requests per second per key. */
const LIMIT = { requests: 40, intervalMs: 1000 };
const LATENCY_MS = 50;
const h = useSimulatedProcess(logs, ['bybit']);

it('syncs 200 currencies at 50 ms latency within 1.15x of the time the rate limit allows, without one violation', async () => {
  const env = await h.env({ WALLET_EXCHANGE_RATE_LIMITS: JSON.stringify({ bybit: { perAccount: LIMIT, perUser: LIMIT } }) });
  const creds = makeCredentials('bybit', 'bound');
  logs.registerSecret(creds.apiKey, creds.secret);
  const ex = h.sim.exchange('bybit');
  ex.addAccount({ ...creds, currencies: generateCurrencies(200, 'bound') });
  const service = new ServiceProcess(env, logs);
  const port = await service.listening();
  const token = await issueToken(env, randomUUID());
  logs.registerSecret(token);
  const client = connectClient(WalletService, `http://127.0.0.1:${port}`, token);
  const { exchangeAccount } = await client.createExchangeAccount({ exchangeId: 'bybit', accountName: 'bound', credentials: { apiKey: creds.apiKey, apiSecret: creds.secret } });
  const accountId = exchangeAccount!.id;
  await client.listExchangeCurrencies({ exchangeId: 'bybit', exchangeAccountId: accountId }); // markets loaded, as a scheduled sync finds them
  await new Promise((r) => setTimeout(r, LIMIT.intervalMs));

  ex.setLatency(LATENCY_MS);
  ex.setRateLimit({ ...LIMIT, scope: 'key' });
  ex.clearLog();
  const started = Date.now();
  let run;
  for await (const m of client.syncDepositAddresses({ exchangeAccountId: accountId })) if (m.event.case === 'completed') run = m.event.value.syncRun!;
  const took = Date.now() - started;
  const requests = ex.requests.filter((r) => r.apiKey === creds.apiKey).length;
  // The fastest the limit allows: a full window at once, then a full window per interval; plus one answer's latency.
  const bound = (Math.ceil(requests / LIMIT.requests) - 1) * LIMIT.intervalMs + LATENCY_MS;
  logs.stream().write(JSON.stringify({ msg: 'sync bound', requests, took, bound, ratio: took / bound }) + '\n');
  expect(ex.rateLimitViolations()).toBe(0);
  expect(run!.status).toBe(SyncStatus.SUCCEEDED);
  expect(requests).toBeGreaterThan(150); // one read per currency (Bybit answers every network of a currency at once)
  expect(took, `took ${took} ms for a bound of ${bound} ms`).toBeLessThanOrEqual(1.15 * bound);
  await service.stop();
}, 60_000);
