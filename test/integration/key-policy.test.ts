import { create } from '@bufbuild/protobuf';
import { FieldMaskSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { SyncStatus, SyncType } from '../../gen/wallet/v1/sync_pb.js';
import { connectError } from '../support/clients.js';
import { type Connected, useExchangeHarness } from '../support/exchange-harness.js';
import { useLogCapture } from '../support/log-capture.js';
import { withPgClient } from '../support/pg.js';

const logs = useLogCapture();
const fast = { perAccount: { requests: 50, intervalMs: 1000 } };
const h = useExchangeHarness(logs, { WALLET_KEY_POLICY: 'strict', WALLET_EXCHANGE_RATE_LIMITS: JSON.stringify({ kraken: fast, bitfinex: fast }) });

const reasons = (warnings: string[]) => warnings.map((w) => w.split(':')[0]);
const requestsTo = (c: Connected, exchange: Parameters<typeof h.sim.exchange>[0], path: string) =>
  h.sim.exchange(exchange).requests.filter((r) => r.apiKey === c.creds.apiKey && r.path.includes(path)).length;

async function firstSyncMessage(c: Connected) {
  return c.client.syncDepositAddresses({ exchangeAccountId: c.accountId, syncType: SyncType.FULL })[Symbol.asyncIterator]().next();
}

async function makeCheckOld(c: Connected, hours: number) {
  await withPgClient(h.svc.database.url, (pg) =>
    pg.query("update exchange_accounts set permissions = jsonb_set(permissions, '{checkedAt}', to_jsonb((now() - make_interval(hours => $2))::text)) where id = $1", [c.accountId, hours]),
  );
}

describe('WALLET_KEY_POLICY=strict', () => {
  it('refuses a key that can withdraw for every exchange operation, before any reaches the exchange, and says so on the account', async () => {
    const c = await h.connect('okx', { withdraw: true });
    const refused = { code: 'FAILED_PRECONDITION', reason: 'EXCHANGE_KEY_CAN_WITHDRAW', metadata: { exchange: 'okx', exchangeAccountId: c.accountId } };
    expect(await connectError(c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency: 'BTC' }))).toMatchObject(refused);
    expect(await connectError(c.client.batchCreateDepositAddresses({ exchangeAccountId: c.accountId, requests: [{ currency: 'BTC' }, { currency: 'ETH' }] }))).toMatchObject(refused);
    expect(await connectError(firstSyncMessage(c))).toMatchObject(refused);
    expect(await connectError(c.client.listExchangeCurrencies({ exchangeId: 'okx', exchangeAccountId: c.accountId }))).toMatchObject(refused);
    expect(requestsTo(c, 'okx', '/asset/deposit-address')).toBe(0);
    expect(requestsTo(c, 'okx', '/account/config')).toBe(1); // checked once, then judged from the account's record

    const test = await c.client.testExchangeConnection({ id: c.accountId });
    expect(test).toMatchObject({ ok: false, errorReason: 'EXCHANGE_KEY_CAN_WITHDRAW', permissions: { reported: true, withdraw: true } });
    expect(test.errorMessage).toContain('withdraw');
    expect(reasons(test.warnings)).toContain('EXCHANGE_KEY_CAN_WITHDRAW');
    const account = (await c.client.getExchangeAccount({ id: c.accountId })).exchangeAccount!;
    expect(account.syncStatus).toBe(SyncStatus.FAILED);
    expect(account.errorMessage).toMatch(/refused by the key policy: .*can withdraw/);
    expect((await c.client.listDepositAddresses({})).depositAddresses).toHaveLength(0);
  });

  it('checks a new key before its first exchange operation, not again within a day, and again after a day or new credentials', async () => {
    const c = await h.connect('binance');
    const checks = () => requestsTo(c, 'binance', '/sapi/v1/account/apiRestrictions');
    const btc = await c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency: 'BTC' });
    expect(checks()).toBe(1);
    const ex = h.sim.exchange('binance').requests.filter((r) => r.apiKey === c.creds.apiKey);
    expect(ex.findIndex((r) => r.path.includes('apiRestrictions'))).toBeLessThan(ex.findIndex((r) => r.path.includes('deposit/address')));
    await c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency: 'ETH' });
    expect(checks()).toBe(1);

    // The key gains withdrawal on the exchange: a day later the next operation sees it.
    h.sim.exchange('binance').account(c.creds.apiKey).permissions.withdraw = true;
    await c.client.refreshDepositAddress({ id: btc.depositAddress!.id });
    expect(checks()).toBe(1);
    await makeCheckOld(c, 25);
    expect(await connectError(c.client.refreshDepositAddress({ id: btc.depositAddress!.id }))).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'EXCHANGE_KEY_CAN_WITHDRAW' });
    expect(checks()).toBe(2);

    // It loses withdrawal again: new credentials (the same key, sealed anew) are checked at the next operation.
    h.sim.exchange('binance').account(c.creds.apiKey).permissions.withdraw = false;
    const credentials = { apiKey: c.creds.apiKey, apiSecret: c.creds.secret, passphrase: '' };
    await c.client.updateExchangeAccount({ exchangeAccount: { id: c.accountId, credentials }, updateMask: create(FieldMaskSchema, { paths: ['credentials'] }) });
    await c.client.refreshDepositAddress({ id: btc.depositAddress!.id });
    expect(checks()).toBe(3);
    expect((await c.client.getExchangeAccount({ id: c.accountId })).exchangeAccount!.errorMessage).toBe('');
  });

  it('shares one key check among concurrent first operations', async () => {
    const c = await h.connect('bybit');
    const results = await Promise.all(['BTC', 'ETH', 'XRP'].map((currency) => c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency })));
    expect(results.every((r) => r.depositAddress!.address !== '')).toBe(true);
    expect(requestsTo(c, 'bybit', '/v5/user/query-api')).toBe(1);
  });

  it('refuses a key whose permissions came back unreadable, and takes it once they read well', async () => {
    const c = await h.connect('kucoin');
    h.sim.exchange('kucoin').injectFault({ kind: 'reply', reply: { status: 200, body: { code: '200000', data: {} } }, pathIncludes: '/api/v1/user/api-key', count: 1 });
    const err = await connectError(c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency: 'BTC' }));
    expect(err).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'EXCHANGE_KEY_PERMISSIONS_UNKNOWN' });
    expect(err.message).toContain('data.apiKey');
    expect(await c.client.testExchangeConnection({ id: c.accountId })).toMatchObject({ ok: true, permissions: { reported: true, withdraw: false } });
    expect((await c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency: 'BTC' })).depositAddress!.address).not.toBe('');
  });

  it('refuses a key the exchange itself refuses, with the exchange\'s reason', async () => {
    const c = await h.connect('okx');
    h.sim.exchange('okx').injectFault({ kind: 'auth', pathIncludes: '/api/v5/account/config', count: 1 });
    expect(await connectError(c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency: 'BTC' }))).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'EXCHANGE_CREDENTIALS_INVALID' });
    expect(requestsTo(c, 'okx', '/asset/deposit-address')).toBe(0);
  });

  it('lets a Coinbase key through, saying its permissions cannot be checked', async () => {
    const c = await h.connect('coinbase');
    const test = await c.client.testExchangeConnection({ id: c.accountId });
    expect(test).toMatchObject({ ok: true, permissions: { reported: false } });
    expect(reasons(test.warnings)).toEqual(['EXCHANGE_KEY_PERMISSIONS_NOT_REPORTED']);
    expect((await c.client.createDepositAddress({ exchangeAccountId: c.accountId, currency: 'BTC' })).depositAddress!.address).not.toBe('');
  });

  it('warns about a key about to expire without refusing it', async () => {
    const c = await h.connect('bybit', { permissions: { expiresAt: Date.now() + 5 * 86_400_000 } });
    const test = await c.client.testExchangeConnection({ id: c.accountId });
    expect(test.ok).toBe(true);
    expect(reasons(test.warnings)).toEqual(['EXCHANGE_KEY_EXPIRING']);
  });
});
