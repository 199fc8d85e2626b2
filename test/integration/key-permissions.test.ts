import { describe, expect, it } from 'vitest';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { connectError } from '../support/clients.js';
import { useExchangeHarness } from '../support/exchange-harness.js';
import { useLogCapture } from '../support/log-capture.js';
import { EXCHANGE_IDS, type ExchangeId } from '../simulator/index.js';

const logs = useLogCapture();
// Kraken's and Bitfinex's real budgets would pace these tests; limits have their own tests.
const fast = { perAccount: { requests: 50, intervalMs: 1000 } };
const h = useExchangeHarness(logs, { WALLET_EXCHANGE_RATE_LIMITS: JSON.stringify({ kraken: fast, bitfinex: fast }) });

const DAY = 86_400_000;
const REPORTING = EXCHANGE_IDS.filter((e) => e !== 'coinbase');

/** The path of each exchange's key-permission endpoint (HTX: the key list, after its UID). */
const PERMISSION_PATH: Record<Exclude<ExchangeId, 'coinbase'>, string> = {
  binance: '/sapi/v1/account/apiRestrictions',
  bybit: '/v5/user/query-api',
  okx: '/api/v5/account/config',
  kucoin: '/api/v1/user/api-key',
  kraken: '/0/private/GetApiKeyInfo',
  huobi: '/v2/user/api-key',
  bitfinex: '/v2/auth/r/permissions',
};

/** The odd answers CCXT itself raises an error for (no success marker: OKX code "0", Bybit retCode 0, KuCoin "200000"...). */
const CCXT_REFUSES: Record<Exclude<ExchangeId, 'coinbase'>, string[]> = {
  binance: ['an empty data list'],
  bitfinex: ['an empty data list', 'an empty object', 'an empty result'],
  bybit: ['an empty data list', 'an empty list', 'an empty object'],
  huobi: [],
  kraken: [],
  kucoin: ['an empty list', 'an empty object', 'an empty result'],
  okx: ['an empty list', 'an empty object', 'an empty result'],
};

const reasons = (warnings: string[]) => warnings.map((w) => w.split(':')[0]);

describe.each(REPORTING)('%s (WALLET_KEY_POLICY=warn)', (exchange) => {
  it('tells a key that can withdraw, its IP binding and its expiry as the exchange reports them, and warns', async () => {
    const expiresAt = Date.now() + 7 * DAY;
    const { client, accountId } = await h.connect(exchange, { withdraw: true, permissions: { ipAllowlist: ['203.0.113.7'], expiresAt } });
    const res = await client.testExchangeConnection({ id: accountId });
    expect(res).toMatchObject({ ok: true, permissions: { reported: true, read: true, trade: true, withdraw: true } });
    const p = res.permissions!;
    // What each exchange tells of the binding: Binance a flag only, KuCoin a masked list, Bitfinex nothing.
    expect(p.ipRestricted).toBe(exchange === 'bitfinex' ? undefined : true);
    expect(p.ipAllowlist).toEqual({ binance: [], bitfinex: [], kucoin: ['203.**.7'] }[exchange as string] ?? ['203.0.113.7']);
    // Expiry where the exchange tells it: Bybit only for keys bound to no IP; OKX, KuCoin and Bitfinex never.
    const tellsExpiry = ['binance', 'kraken', 'huobi'].includes(exchange);
    if (tellsExpiry) expect(Math.abs(timestampDate(p.expireTime!).getTime() - expiresAt)).toBeLessThan(DAY);
    else expect(p.expireTime).toBeUndefined();
    expect(reasons(res.warnings)).toEqual(tellsExpiry ? ['EXCHANGE_KEY_CAN_WITHDRAW', 'EXCHANGE_KEY_EXPIRING'] : ['EXCHANGE_KEY_CAN_WITHDRAW']);
    const stored = (await client.getExchangeAccount({ id: accountId })).exchangeAccount!.permissions!;
    expect(stored).toMatchObject({ reported: true, withdraw: true, ipAllowlist: p.ipAllowlist });
    expect(stored.ipRestricted).toBe(p.ipRestricted);
  });

  it('reads a key without withdrawal and bound to no IP as such', async () => {
    const { client, accountId } = await h.connect(exchange, { permissions: { trade: false } });
    const res = await client.testExchangeConnection({ id: accountId });
    expect(res).toMatchObject({ ok: true, permissions: { reported: true, read: true, trade: false, withdraw: false }, warnings: [] });
    expect(res.permissions!.ipRestricted).toBe(exchange === 'bitfinex' ? undefined : false);
  });

  // Answers of shapes nobody promised, on the permission endpoint itself: unknown, never a safe key.
  const odd: [string, unknown][] = [
    ['an empty object', {}],
    ['an empty list', []],
    ['an empty data list', { code: exchange === 'okx' ? '0' : exchange === 'huobi' ? 200 : '200000', data: [] }],
    ['an empty result', { retCode: 0, retMsg: 'OK', error: [], result: {} }],
  ];
  it.each(odd)('reads %s as unknown permissions with a warning (or CCXT refuses it), never as a safe key', async (what, body) => {
    const { client, accountId } = await h.connect(exchange, { withdraw: true });
    h.sim.exchange(exchange).injectFault({ kind: 'reply', reply: { status: 200, body }, pathIncludes: PERMISSION_PATH[exchange], count: 1 });
    const res = await client.testExchangeConnection({ id: accountId });
    expect(res.permissions?.reported ?? false).toBe(false);
    expect(res.ok, 'CCXT refuses it itself').toBe(!CCXT_REFUSES[exchange].includes(what));
    if (res.ok) {
      expect(res.permissions).toMatchObject({ reported: false, withdraw: false });
      expect(reasons(res.warnings)).toEqual(['EXCHANGE_KEY_PERMISSIONS_UNKNOWN']);
      expect((await client.getExchangeAccount({ id: accountId })).exchangeAccount!.permissions).toMatchObject({ reported: false });
      expect(logs.entries().some((e) => e.msg === 'exchange API key permissions unreadable' && e.accountId === accountId)).toBe(true);
    } else {
      // CCXT itself refused the answer as an error of the exchange's: no permissions at all, and a reason.
      expect(res.errorReason).toMatch(/^EXCHANGE_/);
    }
  });

  it('answers an HTML page in place of the permissions as the exchange not answering properly, never as a safe key', async () => {
    const { client, accountId } = await h.connect(exchange, { withdraw: true });
    h.sim.exchange(exchange).injectFault({ kind: 'reply', reply: { status: 200, body: '<html><body>Welcome</body></html>' }, pathIncludes: PERMISSION_PATH[exchange], durationMs: 30_000 });
    const res = await client.testExchangeConnection({ id: accountId });
    expect(res).toMatchObject({ ok: false, errorReason: 'EXCHANGE_UNAVAILABLE' });
    expect(res.permissions).toBeUndefined();
    h.sim.exchange(exchange).clearFaults();
  });
});

describe('HTX: a UID with several keys', () => {
  it.each([
    ['read-only key listed first', false],
    ['withdraw key listed first', true],
  ])('reads the caller\'s own key, the %s', async (_case, withdrawFirst) => {
    const uid = Math.floor(Math.random() * 1e9);
    const first = await h.connect('huobi', { uid, withdraw: withdrawFirst });
    const second = await h.connect('huobi', { uid, withdraw: !withdrawFirst });
    for (const [c, withdraw] of [[first, withdrawFirst], [second, !withdrawFirst]] as const) {
      const res = await c.client.testExchangeConnection({ id: c.accountId });
      expect(res.permissions, `withdraw ${withdraw}`).toMatchObject({ reported: true, withdraw });
    }
    const asked = h.sim.exchange('huobi').requests.filter((r) => r.path === '/v2/user/api-key' && r.apiKey === second.creds.apiKey).at(-1)!;
    expect(asked.query).toMatchObject({ accessKey: second.creds.apiKey, uid: String(uid) });
  });
});

describe('error bodies CCXT hands back as answers', () => {
  it('HTX 1002 "forbidden" on the deposit-address call is a missing permission, not "no address"', async () => {
    const { client, accountId } = await h.connect('huobi');
    h.sim.exchange('huobi').injectFault({ kind: 'reply', reply: { status: 200, body: { code: 1002, message: 'forbidden', ok: false } }, pathIncludes: '/v2/account/deposit/address', count: 1 });
    expect(await connectError(client.createDepositAddress({ exchangeAccountId: accountId, currency: 'BTC' }))).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'EXCHANGE_KEY_PERMISSION_MISSING' });
    expect((await client.listDepositAddresses({})).depositAddresses).toHaveLength(0);
  });

  it('a Bitfinex error array with HTTP 400 is an error, not an address', async () => {
    const { client, accountId } = await h.connect('bitfinex');
    h.sim.exchange('bitfinex').injectFault({ kind: 'reply', reply: { status: 400, body: ['error', 10100, 'apikey: invalid'] }, pathIncludes: '/v2/auth/w/deposit/address', count: 1 });
    expect(await connectError(client.createDepositAddress({ exchangeAccountId: accountId, currency: 'BTC' }))).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'EXCHANGE_CREDENTIALS_INVALID' });
    expect((await client.listDepositAddresses({})).depositAddresses).toHaveLength(0);
  });
});
