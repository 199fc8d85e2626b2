import { expect, it } from 'vitest';
import { SyncStatus } from '../../gen/wallet/v1/sync_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient } from '../support/clients.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';
import { issueToken, ServiceProcess } from '../support/service-process.js';
import { useSimulatedProcess } from '../support/simulated-process.js';
import { generateCurrencies, makeCredentials } from '../simulator/index.js';

// kill -9 of the service mid-sync: after a restart no run is RUNNING, and a re-sync converges
// with no duplicate address.

const logs = useLogCapture();
const h = useSimulatedProcess(logs, ['okx']);

it('leaves no run RUNNING after a kill -9 mid-sync and a restart, and a re-sync converges without duplicates', async () => {
  const env = await h.env({ WALLET_EXCHANGE_RATE_LIMITS: JSON.stringify({ okx: { perAccount: { requests: 50, intervalMs: 1000 } } }) });
  const creds = makeCredentials('okx', 'crash');
  logs.registerSecret(creds.apiKey, creds.secret, creds.passphrase!);
  const currencies = generateCurrencies(60, 'crash');
  h.sim.exchange('okx').addAccount({ ...creds, currencies });
  h.sim.exchange('okx').setLatency(200);

  let service = new ServiceProcess(env, logs);
  const port = await service.listening();
  const token = await issueToken(env, '3f0c9b1e-5a6d-4e2f-8b7c-1d2e3f4a5b6c');
  logs.registerSecret(token);
  const client = connectClient(WalletService, `http://127.0.0.1:${port}`, token);
  const { exchangeAccount } = await client.createExchangeAccount({ exchangeId: 'okx', accountName: 'crash', credentials: { apiKey: creds.apiKey, apiSecret: creds.secret, passphrase: creds.passphrase! } });
  const accountId = exchangeAccount!.id;

  // Kill the service once a few addresses are written.
  let progress = 0;
  await expect(
    (async () => {
      for await (const m of client.syncDepositAddresses({ exchangeAccountId: accountId })) {
        if (m.event.case === 'progress' && m.event.value.outcome === 1 && ++progress === 5) service.signal('SIGKILL');
      }
    })(),
  ).rejects.toThrow();
  await service.exited;
  const before = await withPgClient(h.db.url, async (pg) => ({
    running: (await pg.query("select count(*)::int as n from address_sync_log where status = 'running'")).rows[0]!.n,
    written: (await pg.query('select count(*)::int as n from exchange_deposit_addresses where exchange_account_id = $1', [accountId])).rows[0]!.n,
  }));
  expect(before.running).toBe(1);
  expect(before.written).toBeGreaterThanOrEqual(5);

  service = new ServiceProcess(env, logs);
  const port2 = await service.listening();
  const after = await withPgClient(h.db.url, (pg) => pg.query('select status, error_details from address_sync_log where exchange_account_id = $1', [accountId]));
  expect(after.rows.map((r) => r.status)).toEqual(['failed']);
  expect(JSON.stringify(after.rows[0]!.error_details)).toContain('SYNC_INTERRUPTED');
  const client2 = connectClient(WalletService, `http://127.0.0.1:${port2}`, token);
  expect((await client2.getExchangeAccount({ id: accountId })).exchangeAccount!.syncStatus).toBe(SyncStatus.FAILED);

  h.sim.exchange('okx').setLatency(0);
  let run;
  for await (const m of client2.syncDepositAddresses({ exchangeAccountId: accountId })) if (m.event.case === 'completed') run = m.event.value.syncRun!;
  expect(run!.status).toBe(SyncStatus.SUCCEEDED);
  // Addresses on networks open for deposits: what a full sync stores.
  const provisioned = currencies.flatMap((c) => c.networks).filter((n) => n.address && n.depositEnabled !== false).length;
  const rows = await withPgClient(h.db.url, (pg) =>
    pg.query('select currency, network, count(*)::int as n from exchange_deposit_addresses where exchange_account_id = $1 and deleted_at is null group by 1, 2', [accountId]),
  );
  expect(rows.rows.every((r) => r.n === 1)).toBe(true);
  expect(rows.rows).toHaveLength(provisioned);
  expect(run!.addressesAdded + run!.addressesUnchanged).toBe(provisioned);
  expect(run!.addressesUnchanged).toBe(before.written);
  await service.stop();
}, 90_000);
