import ccxt from 'ccxt';
import type { Balances, DepositAddress, Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyUrlOverride } from '../../src/exchange/url-override.js';
import { EXPECTATIONS } from './expectations.js';
import type { ErrorClass } from './expectations.js';
import { generateCurrencies, makeCredentials, startSimulator, unifiedNetwork } from './index.js';
import type { ExchangeId, FaultKind, SimCredentials, Simulator } from './index.js';
import { KNOWN_CHAINS } from './networks.js';
import { CCXT_IDS, EXCHANGE_IDS } from './types.js';

const NATIVE_COINS: Readonly<Record<string, string>> = { BTC: 'BTC', ERC20: 'ETH', TRC20: 'TRX', BEP20: 'BNB', XRP: 'XRP', SOL: 'SOL', LTC: 'LTC' };

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});

afterAll(async () => {
  await sim.close();
});

type ExchangeClass = new (config: Record<string, unknown>) => Exchange;

/** A real, unmodified CCXT client pointed at the simulator. */
function client(id: ExchangeId, creds: SimCredentials): Exchange {
  const Class = (ccxt as unknown as Record<string, ExchangeClass>)[CCXT_IDS[id]];
  if (Class === undefined) throw new Error(`no ccxt class for ${id}`);
  const exchange = new Class({ apiKey: creds.apiKey, secret: creds.secret, password: creds.passphrase, enableRateLimit: false, timeout: 2000 });
  applyUrlOverride(exchange, sim.url(id));
  return exchange;
}

async function loaded(id: ExchangeId, creds: SimCredentials): Promise<Exchange> {
  const exchange = client(id, creds);
  await exchange.loadMarkets();
  return exchange;
}

/** The error a promise rejects with; fails the test when it resolves. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** A currency's total in a unified balance (CCXT types `total` loosely). */
function totalOf(balance: Balances, code: string): number | undefined {
  return (balance as unknown as { total: Record<string, number | undefined> }).total[code];
}

function expectClass(error: Error, expected: ErrorClass): void {
  expect(error.constructor.name, error.message).toBe(expected.name);
}

describe.each(EXCHANGE_IDS)('%s', (id) => {
  const want = EXPECTATIONS[id];
  const creds = makeCredentials(id);
  const fetchAddress = (exchange: Exchange, code: string, network?: string): Promise<DepositAddress> =>
    want.fetches ? exchange.fetchDepositAddress(code, network === undefined ? {} : { network }) : exchange.createDepositAddress(code);

  beforeAll(() => {
    sim.exchange(id).addAccount({ ...creds, permissions: { read: true, trade: false, withdraw: true } });
  });

  it('loadMarkets loads markets and currencies with their networks', async () => {
    const exchange = await loaded(id, creds);
    expect(Object.keys(exchange.markets ?? {}).length).toBeGreaterThan(2);
    for (const code of ['BTC', 'ETH', 'USDT', 'XRP', 'LTC']) expect(exchange.currencies[code], code).toBeDefined();
    const usdt = Object.keys(exchange.currencies['USDT']?.networks ?? {});
    if (id === 'kraken') expect(usdt).toEqual([]);
    else expect(usdt).toEqual(expect.arrayContaining(['TRC20', 'ERC20']));
  });

  it('fetchBalance works and its signature was verified', async () => {
    const ex = sim.exchange(id);
    ex.clearLog();
    const balance = await (await loaded(id, creds)).fetchBalance();
    expect(totalOf(balance, 'BTC')).toBe(0.5);
    expect(totalOf(balance, 'USDT')).toBe(1000);
    const call = ex.requests.find((r) => r.path.includes(want.balancePath));
    expect(call).toMatchObject({ signed: true, signatureValid: true, status: 200, apiKey: creds.apiKey });
    expect(ex.requests.filter((r) => r.signed).every((r) => r.signatureValid === true)).toBe(true);
  });

  it('returns the BTC address and the tagged XRP address on the right network', async () => {
    const account = sim.exchange(id).account(creds.apiKey);
    const exchange = await loaded(id, creds);
    const btc = await fetchAddress(exchange, 'BTC', want.btc.param);
    const xrp = await fetchAddress(exchange, 'XRP', want.xrpNetwork === undefined ? undefined : 'XRP');
    expect(btc.network).toBe(want.btc.network);
    expect(xrp.network).toBe(want.xrpNetwork);
    const seededBtc = account.findAddress('BTC', 'BTC');
    const seededXrp = account.findAddress('XRP', 'XRP');
    expect(btc.address).toBe(seededBtc?.address);
    expect(xrp.address).toBe(seededXrp?.address);
    expect(xrp.tag).toBe(seededXrp?.tag);
    expect(xrp.tag).toMatch(/^\d+$/);
    if (!want.fetches) expect(seededBtc?.created).toBe(true); // Coinbase only creates
  });

  it(want.creates ? 'creates exactly one address and then fetches it' : 'has no address where none exists and cannot create', async () => {
    const account = sim.exchange(id).account(creds.apiKey);
    const exchange = await loaded(id, creds);
    const ltc = (): number => account.addresses.filter((a) => a.currency === 'LTC').length;
    expect(ltc()).toBe(0);
    if (want.fetches) expectClass(await failure(fetchAddress(exchange, 'LTC', 'LTC')), want.missing);
    if (!want.creates) {
      expect(exchange.has['createDepositAddress']).not.toBe(true);
      expect(ltc()).toBe(0);
      return;
    }
    const created = await exchange.createDepositAddress('LTC', id === 'kucoin' ? { network: 'LTC' } : {});
    expect(ltc()).toBe(1);
    expect(created.address).toBe(account.findAddress('LTC', 'LTC')?.address);
    expect(created.address).toMatch(/^ltc1q/);
    if (want.fetches) {
      const again = await fetchAddress(exchange, 'LTC', 'LTC');
      expect(again.address).toBe(created.address);
      expect(ltc()).toBe(1);
    }
  });

  it('rejects a wrong secret and an unknown key with AuthenticationError', async () => {
    const ex = sim.exchange(id);
    ex.clearLog();
    const wrongSecret = { ...creds, secret: makeCredentials(id).secret };
    expectClass(await failure(client(id, wrongSecret).fetchBalance()), ccxt.AuthenticationError);
    expect(ex.requests.some((r) => r.signed && r.signatureValid === false && r.apiKey === creds.apiKey)).toBe(true);
    expectClass(await failure(client(id, makeCredentials(id)).fetchBalance()), ccxt.AuthenticationError);
    if (want.passphrase) {
      const wrongPassphrase = { ...creds, passphrase: 'not-the-passphrase' };
      expectClass(await failure(client(id, wrongPassphrase).fetchBalance()), ccxt.AuthenticationError);
    }
  });

  const kinds: Array<Exclude<FaultKind, 'malformed' | 'reply'>> = ['auth', 'permission', 'rate_limit', 'maintenance', 'server_error', 'timeout'];
  it.each(kinds)('answers an injected %s fault so CCXT raises the expected class', async (kind) => {
    const ex = sim.exchange(id);
    const exchange = await loaded(id, creds);
    if (kind === 'timeout') exchange.timeout = 300;
    ex.injectFault({ kind, count: 1, pathIncludes: want.balancePath });
    const started = Date.now();
    const error = await failure(exchange.fetchBalance());
    expectClass(error, want.faults[kind]);
    if (kind === 'timeout') expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(ex.requests.at(-1)).toMatchObject({ fault: kind });
    const recovered = await exchange.fetchBalance();
    expect(totalOf(recovered, 'BTC')).toBe(0.5);
  });

  it('answers a malformed body: CCXT swallows it on balances and fails on addresses', async () => {
    const ex = sim.exchange(id);
    const exchange = await loaded(id, creds);
    ex.injectFault({ kind: 'malformed', count: 1, pathIncludes: want.balancePath });
    const balance = await exchange.fetchBalance();
    expect(totalOf(balance, 'BTC')).toBeUndefined();
    if (!want.fetches) await exchange.createDepositAddress('ETH'); // warm the cached wallet list first
    ex.injectFault({ kind: 'malformed', count: 1, pathIncludes: want.addressPath });
    expectClass(await failure(fetchAddress(exchange, 'BTC', want.btc.param)), want.malformedAddress);
    ex.clearFaults();
  });

  it('enforces the rate limit with the exchange error and a Retry-After header', async () => {
    const ex = sim.exchange(id);
    const exchange = await loaded(id, creds);
    await exchange.fetchBalance(); // settles one-off calls (Bybit, HTX) so each fetch is one request
    const before = ex.rateLimitViolations();
    ex.setRateLimit({ requests: 2, intervalMs: 60_000 });
    try {
      await exchange.fetchBalance();
      await exchange.fetchBalance();
      expectClass(await failure(exchange.fetchBalance()), want.faults.rate_limit);
      expect(Number(exchange.last_response_headers?.['Retry-After'])).toBeGreaterThanOrEqual(59);
      expect(ex.rateLimitViolations()).toBe(before + 1);
      expect(ex.requests.at(-1)).toMatchObject({ rateLimited: true });
    } finally {
      ex.setRateLimit(null);
    }
  });

  it('adds the configured latency to every answer', async () => {
    const ex = sim.exchange(id);
    const exchange = await loaded(id, creds);
    await exchange.fetchBalance();
    const timed = async (): Promise<number> => {
      const started = performance.now();
      await exchange.fetchBalance();
      return performance.now() - started;
    };
    // The least of a few calls: one call's pause (GC, a busy machine) is not the exchange's cost.
    const baseline = Math.min(await timed(), await timed(), await timed());
    ex.setLatency(150);
    try {
      const slowed = await timed();
      expect(slowed).toBeGreaterThanOrEqual(148);
      expect(slowed - baseline).toBeGreaterThanOrEqual(140);
    } finally {
      ex.setLatency(0);
    }
  });

  it('refuses every call of a key without read permission', async () => {
    const restricted = makeCredentials(id);
    sim.exchange(id).addAccount({ ...restricted, permissions: { read: false, trade: false, withdraw: false } });
    expectClass(await failure(client(id, restricted).fetchBalance()), want.faults.permission);
  });

  if (want.permissions !== undefined) it('reports the key permissions on its permission endpoint', async () => {
    const probe = want.permissions;
    if (probe === undefined) return;
    expect(probe.canWithdraw(await probe.call(client(id, creds)))).toBe(true);
    const readOnly = makeCredentials(id);
    sim.exchange(id).addAccount({ ...readOnly, permissions: { read: false, trade: false, withdraw: false } });
    expect(probe.canWithdraw(await probe.call(client(id, readOnly)))).toBe(false);
  });

  if (want.mapsNetworks) it('maps every known chain back to the same unified network code', async () => {
    const mapped = makeCredentials(id);
    const natives = KNOWN_CHAINS.map((chain) => ({ code: NATIVE_COINS[chain] ?? chain, networks: [{ network: chain }] }));
    const token = { code: 'USDC', networks: ['ERC20', 'TRC20', 'BEP20', 'SOL'].map((network) => ({ network })) };
    sim.exchange(id).addAccount({ ...mapped, currencies: [...natives, token] });
    const exchange = await loaded(id, mapped);
    for (const currency of [...natives, token]) {
      const expected = currency.networks.map((n) => unifiedNetwork(n.network, currency.code)).sort();
      expect(Object.keys(exchange.currencies[currency.code]?.networks ?? {}).sort(), currency.code).toEqual(expected);
    }
  });
});

describe('rate limit scopes', () => {
  it('counts per IP across keys when scope is ip, per key otherwise', async () => {
    const ex = sim.exchange('okx');
    const [first, second] = [makeCredentials('okx'), makeCredentials('okx')];
    ex.addAccount(first);
    ex.addAccount(second);
    const [a, b] = [await loaded('okx', first), await loaded('okx', second)];
    ex.setRateLimit({ requests: 1, intervalMs: 60_000, scope: 'key' });
    try {
      await a.fetchBalance();
      await b.fetchBalance();
      ex.setRateLimit({ requests: 1, intervalMs: 60_000, scope: 'ip' });
      await a.fetchBalance();
      expectClass(await failure(b.fetchBalance()), ccxt.RateLimitExceeded);
    } finally {
      ex.setRateLimit(null);
    }
  });

  it('keeps a timed fault for its window only', async () => {
    const ex = sim.exchange('kraken');
    const creds = makeCredentials('kraken');
    ex.addAccount(creds);
    const exchange = await loaded('kraken', creds);
    ex.injectFault({ kind: 'maintenance', durationMs: 150 });
    expectClass(await failure(exchange.fetchBalance()), ccxt.ExchangeNotAvailable);
    expectClass(await failure(exchange.fetchBalance()), ccxt.ExchangeNotAvailable);
    await new Promise((resolve) => setTimeout(resolve, 160));
    expect(totalOf(await exchange.fetchBalance(), 'BTC')).toBe(0.5);
  });
});

describe('sync scale', () => {
  it.each(EXCHANGE_IDS)('%s lists hundreds of generated currencies', async (id) => {
    const scale = await startSimulator({ exchanges: [id] });
    try {
      const creds = makeCredentials(id);
      scale.exchange(id).addAccount({ ...creds, currencies: generateCurrencies(300) });
      const exchange = new (ccxt as unknown as Record<string, ExchangeClass>)[CCXT_IDS[id]]!({ apiKey: creds.apiKey, secret: creds.secret, password: creds.passphrase, enableRateLimit: false });
      applyUrlOverride(exchange, scale.url(id));
      await exchange.loadMarkets();
      const generated = Object.keys(exchange.currencies).filter((code) => code.startsWith('TKA'));
      expect(generated).toHaveLength(300);
    } finally {
      await scale.close();
    }
  });
});
