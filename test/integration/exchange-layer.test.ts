import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { FieldMaskSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { SyncStatus } from '../../gen/wallet/v1/sync_pb.js';
import { WalletService } from '../../gen/wallet/v1/wallet_service_pb.js';
import { connectClient, connectError } from '../support/clients.js';
import { type Connected, useExchangeHarness } from '../support/exchange-harness.js';
import { useLogCapture } from '../support/log-capture.js';
import { EXCHANGE_IDS, makeCredentials } from '../simulator/index.js';

const logs = useLogCapture();
/** Small limits so a test sees them bite within a second; the simulator gets the same ones. */
const LIMITS = { perAccount: { requests: 4, intervalMs: 400 }, perUser: { requests: 6, intervalMs: 400 }, perExchange: { requests: 8, intervalMs: 400 } };
const h = useExchangeHarness(logs, { WALLET_EXCHANGE_RATE_LIMITS: JSON.stringify({ bybit: LIMITS }) });
const connect = h.connect;

describe.each(EXCHANGE_IDS)('%s', (exchange) => {
  it('passes a connection test whose every request carried a signature the simulator verified', async () => {
    const { client, accountId, creds } = await connect(exchange);
    const res = await client.testExchangeConnection({ id: accountId });
    expect(res).toMatchObject({ ok: true, errorReason: '' });
    expect(Number(res.latencyMs)).toBeGreaterThanOrEqual(0);
    expect(res.permissions!.reported).toBe(exchange !== 'coinbase');
    if (exchange !== 'coinbase') expect(res.permissions).toMatchObject({ read: true, trade: true, withdraw: false });
    const mine = h.sim.exchange(exchange).requests.filter((r) => r.apiKey === creds.apiKey);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((r) => r.signed && r.signatureValid === true)).toBe(true);
    const account = (await client.getExchangeAccount({ id: accountId })).exchangeAccount!;
    expect(account.permissions).toMatchObject({ reported: exchange !== 'coinbase' });
  });

  it('answers EXCHANGE_CREDENTIALS_INVALID to a wrong secret, records it on the account, and takes a fixed key at the next call', async () => {
    const { client, accountId, creds } = await connect(exchange);
    const wrong = makeCredentials(exchange, randomUUID()).secret;
    logs.registerSecret(wrong);
    const mask = create(FieldMaskSchema, { paths: ['credentials'] });
    await client.updateExchangeAccount({ exchangeAccount: { id: accountId, credentials: { apiKey: creds.apiKey, apiSecret: wrong, passphrase: creds.passphrase ?? '' } }, updateMask: mask });
    const before = h.sim.exchange(exchange).requests.length;
    const res = await client.testExchangeConnection({ id: accountId });
    expect(res).toMatchObject({ ok: false, errorReason: 'EXCHANGE_CREDENTIALS_INVALID' });
    expect(res.errorMessage).not.toContain(wrong);
    const privateCalls = h.sim.exchange(exchange).requests.slice(before).filter((r) => r.signed);
    expect(privateCalls.length).toBe(1); // an auth failure is never retried
    const account = (await client.getExchangeAccount({ id: accountId })).exchangeAccount!;
    expect(account.syncStatus).toBe(SyncStatus.FAILED);
    expect(account.errorMessage).toContain('rejected');

    await client.updateExchangeAccount({ exchangeAccount: { id: accountId, credentials: { apiKey: creds.apiKey, apiSecret: creds.secret, passphrase: creds.passphrase ?? '' } }, updateMask: mask });
    expect((await client.testExchangeConnection({ id: accountId })).ok).toBe(true);
    expect((await client.getExchangeAccount({ id: accountId })).exchangeAccount!.errorMessage).toBe('');
  });

  if (['okx', 'kucoin', 'coinbase'].includes(exchange)) {
    it('answers EXCHANGE_CREDENTIALS_INVALID to a wrong passphrase', async () => {
      const { client, accountId, creds } = await connect(exchange);
      const mask = create(FieldMaskSchema, { paths: ['credentials'] });
      await client.updateExchangeAccount({ exchangeAccount: { id: accountId, credentials: { apiKey: creds.apiKey, apiSecret: creds.secret, passphrase: 'not-the-passphrase' } }, updateMask: mask });
      expect(await client.testExchangeConnection({ id: accountId })).toMatchObject({ ok: false, errorReason: 'EXCHANGE_CREDENTIALS_INVALID' });
    });
  }
});

describe('rate limits', () => {
  it('keeps concurrent calls of several users within the exchange\'s per-key and per-IP limits, waiting rather than failing', async () => {
    const users = [randomUUID(), randomUUID(), randomUUID()];
    const accounts: Connected[] = [];
    for (const userId of users) for (let i = 0; i < 2; i++) accounts.push(await connect('bybit', { userId }));
    for (const a of accounts) await a.client.testExchangeConnection({ id: a.accountId }); // warm: markets and clients
    const ex = h.sim.exchange('bybit');
    for (const scope of ['key', 'ip'] as const) {
      const limit = scope === 'key' ? LIMITS.perAccount : LIMITS.perExchange;
      ex.setRateLimit({ ...limit, scope });
      const before = ex.rateLimitViolations();
      const started = Date.now();
      const calls = accounts.flatMap((a) => Array.from({ length: 5 }, () => a.client.testExchangeConnection({ id: a.accountId })));
      const results = await Promise.all(calls);
      const elapsed = Date.now() - started;
      expect(results.every((r) => r.ok)).toBe(true);
      expect(ex.rateLimitViolations() - before).toBe(0);
      // 30 calls at 8 per 400 ms across the process need at least 3 more windows.
      expect(elapsed).toBeGreaterThanOrEqual(3 * 400);
    }
    const metrics = await (await fetch(`${h.svc.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/wallet_exchange_rate_limit_wait_seconds_count\{exchange="bybit"\} [1-9]/);
  });
});

describe('currencies, shared markets, key permissions', () => {
  it('lists currencies with networks, tags and deposit state, loading markets once for every account of an exchange', async () => {
    const first = await connect('binance');
    const second = await connect('binance');
    const ex = h.sim.exchange('binance');
    const exchangeInfoLoads = () => ex.requests.filter((r) => r.path === '/api/v3/exchangeInfo').length;
    const res = await first.client.listExchangeCurrencies({ exchangeId: 'binance', exchangeAccountId: first.accountId });
    const loadsAfterFirst = exchangeInfoLoads();
    await second.client.listExchangeCurrencies({ exchangeId: 'binance' });
    await second.client.testExchangeConnection({ id: second.accountId });
    expect(exchangeInfoLoads()).toBe(loadsAfterFirst);
    const usdt = res.currencies.find((c) => c.code === 'USDT')!;
    expect(usdt.networks.map((n) => n.network).sort()).toEqual(['BEP20', 'ERC20', 'TRC20']);
    expect(res.currencies.find((c) => c.code === 'XRP')!.networks[0]).toMatchObject({ network: 'XRP', tagRequired: true, depositEnabled: true });
    expect(res.currencies.find((c) => c.code === 'ETH')!.networks.map((n) => n.network)).toEqual(['ERC20']);
    const page = await first.client.listExchangeCurrencies({ exchangeId: 'binance', pageSize: 2 });
    expect(page.currencies).toHaveLength(2);
    expect(page.nextPageToken).not.toBe('');
  });

  it('asks for an account when the caller has none on the exchange, and refuses another exchange\'s account', async () => {
    const client = connectClient(WalletService, h.svc.baseUrl, await h.svc.token());
    expect(await connectError(client.listExchangeCurrencies({ exchangeId: 'okx' }))).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'ACCOUNT_REQUIRED' });
    const kraken = await connect('kraken');
    const err = await connectError(kraken.client.listExchangeCurrencies({ exchangeId: 'okx', exchangeAccountId: kraken.accountId }));
    expect(err.fieldViolations.map((v) => v.field)).toEqual(['exchange_account_id']);
  });

  it('flags a key that can withdraw, in the answer and as a warning log line without the key', async () => {
    const { client, accountId, creds } = await connect('okx', { withdraw: true });
    const res = await client.testExchangeConnection({ id: accountId });
    expect(res.permissions).toMatchObject({ withdraw: true, reported: true });
    expect(res.warnings.join(' ')).toContain('withdraw');
    const warning = logs.entries().find((e) => e.msg === 'exchange API key can withdraw funds' && e.accountId === accountId);
    expect(warning).toMatchObject({ level: 40, exchange: 'okx' });
    expect(JSON.stringify(warning)).not.toContain(creds.apiKey);
  });

  it('tells capabilities, key permissions included', async () => {
    const client = connectClient(WalletService, h.svc.baseUrl, await h.svc.token());
    expect((await client.getExchangeInfo({ exchangeId: 'coinbase' })).capabilities).toMatchObject({ fetchDepositAddress: false, createDepositAddress: true, fetchKeyPermissions: false });
    expect((await client.getExchangeInfo({ exchangeId: 'okx' })).capabilities).toMatchObject({ fetchDepositAddressesByNetwork: true, fetchKeyPermissions: true });
  });
});
