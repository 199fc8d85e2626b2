import { describe, expect, it } from 'vitest';
import { AddressValidation } from '../../gen/wallet/v1/deposit_address_pb.js';
import { SyncStatus, SyncType } from '../../gen/wallet/v1/sync_pb.js';
import { type SyncDepositAddressesResponse, SyncOutcome } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectError } from '../support/clients.js';
import { type Connected, useExchangeHarness } from '../support/exchange-harness.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';
import { breakChecksum, generateCurrencies, makeAddress, type SimCurrency } from '../simulator/index.js';

const logs = useLogCapture();
// Kraken's real budget (30/min) would take minutes here; limits have their own tests.
const fast = { perAccount: { requests: 50, intervalMs: 1000 } };
const h = useExchangeHarness(logs, {
  WALLET_MARKETS_TTL_MS: '1000', // so an incremental sync sees a currency listed a moment ago
  WALLET_EXCHANGE_RATE_LIMITS: JSON.stringify({ kraken: fast, bitfinex: fast }),
});

async function sync(c: Connected, syncType = SyncType.FULL, currencies: string[] = []): Promise<SyncDepositAddressesResponse[]> {
  const messages: SyncDepositAddressesResponse[] = [];
  for await (const m of c.client.syncDepositAddresses({ exchangeAccountId: c.accountId, syncType, currencies })) messages.push(m);
  return messages;
}

const progress = (messages: SyncDepositAddressesResponse[]) =>
  messages.flatMap((m) => (m.event.case === 'progress' ? [m.event.value] : [])).map((p) => `${p.currency}/${p.network}:${SyncOutcome[p.outcome]}`).sort();

const completed = (messages: SyncDepositAddressesResponse[]) => {
  const last = messages[messages.length - 1]!;
  if (last.event.case !== 'completed') throw new Error('the stream did not end with completed');
  return last.event.value.syncRun!;
};

describe('SyncDepositAddresses', () => {
  it('streams start, one progress per currency/network and completion, and logs a succeeded run', async () => {
    const c = await h.connect('okx');
    const messages = await sync(c);
    expect(messages[0]!.event).toMatchObject({ case: 'started', value: { total: 7, syncType: SyncType.FULL } });
    expect(progress(messages)).toEqual([
      'BTC/BTC:ADDED', 'ETH/ERC20:ADDED', 'LTC/LTC:NOT_PROVISIONED', 'USDT/BEP20:NOT_PROVISIONED', 'USDT/ERC20:ADDED', 'USDT/TRC20:ADDED', 'XRP/XRP:ADDED',
    ]);
    const dones = messages.flatMap((m) => (m.event.case === 'progress' ? [m.event.value.done] : []));
    expect(dones).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const run = completed(messages);
    expect(run).toMatchObject({ status: SyncStatus.SUCCEEDED, addressesAdded: 5, addressesFailed: 0, syncType: SyncType.FULL });
    expect(run.currencies.sort()).toEqual(['BTC', 'ETH', 'LTC', 'USDT', 'XRP']);
    const account = (await c.client.getExchangeAccount({ id: c.accountId })).exchangeAccount!;
    expect(account).toMatchObject({ syncStatus: SyncStatus.SUCCEEDED, errorMessage: '' });
    expect(account.lastSyncTime).toBeDefined();
    expect((await c.client.listDepositAddresses({})).depositAddresses).toHaveLength(5);
    const runs = await c.client.listSyncRuns({ exchangeAccountId: c.accountId });
    expect(runs.syncRuns.map((r) => r.id)).toEqual([run.id]);

    // Again: nothing new, nothing duplicated; a rotated address is recorded as updated.
    const rotated = makeAddress('BTC', 'rotated');
    h.sim.exchange('okx').account(c.creds.apiKey).findAddress('BTC', 'BTC')!.address = rotated;
    const again = await sync(c);
    expect(progress(again).filter((p) => p.endsWith(':UNCHANGED'))).toHaveLength(4);
    expect(progress(again)).toContain('BTC/BTC:UPDATED');
    expect(completed(again)).toMatchObject({ addressesAdded: 0, addressesUpdated: 1, addressesUnchanged: 4 });
    expect((await c.client.listDepositAddresses({ currency: 'BTC' })).depositAddresses[0]!.address).toBe(rotated);
    expect((await c.client.listSyncRuns({ exchangeAccountId: c.accountId, pageSize: 1 })).syncRuns[0]!.id).toBe(completed(again).id);
  });

  it('syncs single currencies, and incrementally what it holds plus currencies new since the last run', async () => {
    const c = await h.connect('kucoin');
    const single = await sync(c, SyncType.SINGLE_CURRENCY, ['usdt']);
    expect(progress(single)).toEqual(['USDT/BEP20:NOT_PROVISIONED', 'USDT/ERC20:ADDED', 'USDT/TRC20:ADDED']);
    const full = await sync(c);
    expect(completed(full).status).toBe(SyncStatus.SUCCEEDED);
    // A currency new on the exchange, with an address for this account.
    const newc: SimCurrency = { code: 'NEWC', networks: [{ network: 'ERC20', address: '0x000000000000000000000000000000000000beef' }] };
    const simAccount = h.sim.exchange('kucoin').account(c.creds.apiKey);
    (simAccount.currencies as SimCurrency[]).push(newc);
    simAccount.addresses.push({ currency: 'NEWC', network: 'ERC20', address: '0x000000000000000000000000000000000000beef', created: false });
    h.sim.exchange('kucoin').catalogue.merge([newc]);
    await new Promise((r) => setTimeout(r, 1100)); // the listed currencies are older than their TTL
    const incremental = await sync(c, SyncType.INCREMENTAL);
    expect(progress(incremental)).toContain('NEWC/ERC20:ADDED');
    // What it holds (5 routes) plus the new currency; nothing else asked.
    expect(incremental[0]!.event).toMatchObject({ case: 'started', value: { total: 6 } });
    const errs = [
      await connectError(c.client.syncDepositAddresses({ exchangeAccountId: c.accountId, syncType: SyncType.SINGLE_CURRENCY })[Symbol.asyncIterator]().next()),
      await connectError(c.client.syncDepositAddresses({ exchangeAccountId: c.accountId, syncType: SyncType.FULL, currencies: ['BTC'] })[Symbol.asyncIterator]().next()),
      await connectError(c.client.syncDepositAddresses({ exchangeAccountId: c.accountId, syncType: SyncType.SINGLE_CURRENCY, currencies: ['NOPE'] })[Symbol.asyncIterator]().next()),
      await connectError(c.client.syncDepositAddresses({ exchangeAccountId: 'nope' })[Symbol.asyncIterator]().next()),
    ];
    expect(errs.map((e) => [e.code, e.fieldViolations[0]?.field])).toEqual([
      ['INVALID_ARGUMENT', 'currencies'],
      ['INVALID_ARGUMENT', 'currencies'],
      ['INVALID_ARGUMENT', 'currencies'],
      ['INVALID_ARGUMENT', 'exchange_account_id'],
    ]);
  });

  it('ends PARTIAL when some currencies fail mid-way, keeping everything already written and saying what failed', async () => {
    const c = await h.connect('binance', { currencies: generateCurrencies(30, 'partial') });
    await c.client.listExchangeCurrencies({ exchangeId: 'binance', exchangeAccountId: c.accountId }); // markets loaded
    h.sim.exchange('binance').injectFault({ kind: 'server_error', pathIncludes: 'coin=TKA01', durationMs: 60_000 });
    const messages = await sync(c);
    const run = completed(messages);
    expect(run.status).toBe(SyncStatus.PARTIAL);
    const failed = run.errorDetails.map((f) => f.currency);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((code) => code.startsWith('TKA01'))).toBe(true);
    expect(run.errorDetails[0]).toMatchObject({ reason: 'EXCHANGE_UNAVAILABLE' });
    const stored = await withPgClient(h.svc.database.url, (pg) => pg.query('select count(*)::int as n from exchange_deposit_addresses where exchange_account_id = $1', [c.accountId]));
    expect(stored.rows[0]!.n).toBe(run.addressesAdded);
    expect(run.addressesAdded).toBeGreaterThan(10);
    const account = (await c.client.getExchangeAccount({ id: c.accountId })).exchangeAccount!;
    expect(account.syncStatus).toBe(SyncStatus.PARTIAL);
    expect(account.errorMessage).toContain('TKA01');
  });

  it('fails the item whose address is invalid (PARTIAL run), and stores a network without a validator marked not checked', async () => {
    const currencies: SimCurrency[] = [
      { code: 'BTC', networks: [{ network: 'BTC', address: makeAddress('BTC', 'sync-ok') }] },
      { code: 'ETH', networks: [{ network: 'ETH', address: breakChecksum(makeAddress('ERC20', 'sync-bad')) }] },
      { code: 'EOS', networks: [{ network: 'EOS', tagRequired: true, address: 'binancecleos', tag: '104857600' }] },
    ];
    const c = await h.connect('bybit', { currencies });
    const messages = await sync(c);
    expect(progress(messages).filter((p) => /^(BTC|ETH|EOS)\//.test(p))).toEqual(['BTC/BTC:ADDED', 'EOS/EOS:ADDED', 'ETH/ERC20:FAILED']);
    const failed = messages.flatMap((m) => (m.event.case === 'progress' && m.event.value.outcome === SyncOutcome.FAILED ? [m.event.value] : []));
    expect(failed[0]).toMatchObject({ currency: 'ETH', network: 'ERC20', errorReason: 'DEPOSIT_ADDRESS_INVALID' });
    const run = completed(messages);
    expect(run).toMatchObject({ status: SyncStatus.PARTIAL, addressesAdded: 2, addressesFailed: 1 });
    expect(run.errorDetails).toMatchObject([{ currency: 'ETH', network: 'ERC20', reason: 'DEPOSIT_ADDRESS_INVALID' }]);
    const stored = (await c.client.listDepositAddresses({})).depositAddresses.map((a) => [a.currency, a.addressValidation]).sort();
    expect(stored).toEqual([['BTC', AddressValidation.VALID], ['EOS', AddressValidation.NOT_CHECKED]]);
    const rows = await withPgClient(h.svc.database.url, (pg) => pg.query('select currency, address_validation from exchange_deposit_addresses where exchange_account_id = $1 order by currency', [c.accountId]));
    expect(rows.rows).toEqual([{ currency: 'BTC', address_validation: 'valid' }, { currency: 'EOS', address_validation: 'not_checked' }]);
  });

  it('runs one sync per account: a second one gets ABORTED with SYNC_IN_PROGRESS', async () => {
    const c = await h.connect('huobi');
    h.sim.exchange('huobi').setLatency(150);
    const first = sync(c);
    await new Promise((r) => setTimeout(r, 100));
    const second = await connectError(sync(c));
    expect(second).toMatchObject({ code: 'ABORTED', reason: 'SYNC_IN_PROGRESS' });
    expect(completed(await first).status).toBe(SyncStatus.SUCCEEDED);
    expect(completed(await sync(c)).status).toBe(SyncStatus.SUCCEEDED); // free again afterwards
  });

  it('finishes and logs a sync whose client went away', async () => {
    const c = await h.connect('okx', { currencies: generateCurrencies(12, 'gone') });
    h.sim.exchange('okx').setLatency(100);
    const abort = new AbortController();
    let seen = 0;
    await expect(
      (async () => {
        for await (const _ of c.client.syncDepositAddresses({ exchangeAccountId: c.accountId }, { signal: abort.signal })) {
          if (++seen === 3) abort.abort();
        }
      })(),
    ).rejects.toThrow();
    await expect.poll(async () => (await c.client.listSyncRuns({ exchangeAccountId: c.accountId })).syncRuns[0]?.status, { timeout: 10_000 }).toBe(SyncStatus.SUCCEEDED);
    const run = (await c.client.listSyncRuns({ exchangeAccountId: c.accountId })).syncRuns[0]!;
    expect(run.addressesAdded + run.addressesFailed).toBeGreaterThan(3);
  });

  it.each(['huobi', 'kraken', 'bitfinex', 'binance', 'coinbase'] as const)('syncs every account of %s in full, the second on markets the first loaded', async (exchange) => {
    for (const _ of [1, 2]) {
      const c = await h.connect(exchange);
      const run = completed(await sync(c));
      expect(run.errorDetails).toEqual([]);
      expect(run.status).toBe(SyncStatus.SUCCEEDED);
      // Coinbase cannot read addresses: a sync reports what we hold, which is nothing yet.
      if (exchange !== 'coinbase') expect(run.addressesAdded).toBeGreaterThanOrEqual(4);
    }
  });

  it('answers another user\'s account like a missing one, on SyncDepositAddresses and ListSyncRuns', async () => {
    const owner = await h.connect('okx');
    await sync(owner);
    const other = await h.connect('okx');
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const target of [owner.accountId, missing]) {
      const syncErr = await connectError(other.client.syncDepositAddresses({ exchangeAccountId: target })[Symbol.asyncIterator]().next());
      const runsErr = await connectError(other.client.listSyncRuns({ exchangeAccountId: target }));
      expect([syncErr.code, syncErr.reason, runsErr.code, runsErr.reason]).toEqual(['NOT_FOUND', 'EXCHANGE_ACCOUNT_NOT_FOUND', 'NOT_FOUND', 'EXCHANGE_ACCOUNT_NOT_FOUND']);
    }
    expect((await owner.client.listSyncRuns({ exchangeAccountId: owner.accountId })).syncRuns).toHaveLength(1);
  });

  it('ends the stream with an error, not a hang, when the run cannot be recorded', async () => {
    const c = await h.connect('okx', { currencies: generateCurrencies(40, 'unrecorded') });
    await c.client.listExchangeCurrencies({ exchangeId: 'okx', exchangeAccountId: c.accountId }); // markets loaded
    h.sim.exchange('okx').setLatency(150);
    const stream = c.client.syncDepositAddresses({ exchangeAccountId: c.accountId, syncType: SyncType.FULL })[Symbol.asyncIterator]();
    expect((await stream.next()).value!.event.case).toBe('started');
    await withPgClient(h.svc.database.url, (pg) => pg.query('alter table address_sync_log rename to address_sync_log_gone'));
    try {
      const ended = (async () => {
        for (let m = await stream.next(); !m.done; m = await stream.next()) {
          // progress until the run's next write fails
        }
      })();
      const outcome = await Promise.race([connectError(ended), new Promise((resolve) => setTimeout(() => resolve('still open after 15 s'), 15_000))]);
      expect(outcome).toMatchObject({ code: 'INTERNAL' });
    } finally {
      await withPgClient(h.svc.database.url, (pg) => pg.query('alter table address_sync_log_gone rename to address_sync_log'));
    }
  }, 30_000);
});
