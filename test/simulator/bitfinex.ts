import type { Catalogue } from './catalogue.js';
import { accountOf, json, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, Verdict } from './dialect.js';
import { depositAddress } from './deposits.js';
import { canonicalChain } from './networks.js';
import { Router } from './router.js';
import { hmac, header, sameSignature } from './signing.js';

/** Bitfinex calls USDT "UST" (CCXT's commonCurrencies maps it back). */
function currencyId(code: string): string {
  return code === 'USDT' ? 'UST' : code;
}

/** Method ids CCXT's `options.networks` maps to the unified codes we use. */
const METHODS: Readonly<Record<string, string>> = {
  'BTC|BTC': 'BITCOIN',
  'ETH|ERC20': 'ETHEREUM',
  'LTC|LTC': 'LITECOIN',
  'XRP|XRP': 'XRP',
  'SOL|SOL': 'SOL',
  'USDT|ERC20': 'TETHERUSE',
  'USDT|TRC20': 'TETHERUSX',
  'USDT|SOL': 'TETHERUSDTSOL',
};

/**
 * The deposit method of a coin's chain. A request names only the method, so each must belong to
 * one coin: other coins use their code on their first chain (as Bitfinex lists most tokens, and
 * CCXT then defaults to it) and `<CODE><CHAIN>` on the others.
 */
export function bitfinexMethod(code: string, chain: string, firstChain: boolean): string {
  const canonical = canonicalChain(chain);
  return METHODS[`${code}|${canonical}`] ?? (firstChain ? code : `${code}${canonical}`);
}

function methodTable(catalogue: Catalogue): Array<{ method: string; code: string; network: string }> {
  return catalogue.list().flatMap((c) => c.networks.map((n, i) => ({ method: bitfinexMethod(c.code, n.network, i === 0), code: c.code, network: n.network })));
}

/** `pub:` config lists, in the order CCXT asks for them. */
function conf(catalogue: Catalogue, keys: string[]): unknown[] {
  const listed = catalogue.list();
  const methods = methodTable(catalogue);
  const pair = (id: string): unknown => [id, [null, null, null, '0.0002', '2000', null, null, null, 0.2, 0.1]];
  const values: Record<string, unknown> = {
    'pub:list:currency': ['USD', ...listed.map((c) => currencyId(c.code))],
    'pub:map:currency:sym': [['UST', 'USDT']],
    'pub:map:currency:label': listed.map((c) => [currencyId(c.code), c.name]),
    'pub:map:currency:unit': [],
    'pub:map:currency:undl': [],
    'pub:map:currency:pool': listed.map((c) => [currencyId(c.code), c.networks[0]?.network ?? c.code]),
    'pub:map:currency:explorer': listed.map((c) => [currencyId(c.code), ['https://explorer.example/', 'https://explorer.example/address/VAL', 'https://explorer.example/tx/VAL']]),
    'pub:map:currency:tx:fee': listed.map((c) => [currencyId(c.code), [0, 0.0004]]),
    'pub:map:tx:method': methods.map((m) => [m.method, [currencyId(m.code)]]),
    'pub:info:tx:status': methods.map((m) => [m.method, catalogue.network(m.code, m.network)?.depositEnabled === false ? 0 : 1, 1, null, null, null, null, 0, 0, null, null, 3]),
    'pub:list:currency:margin': ['BTC', 'ETH', 'UST'],
    'pub:info:pair': [pair('BTCUSD'), pair('ETHUSD'), pair('XRPUSD'), pair('BTCUST'), pair('ETHBTC')],
    'pub:info:pair:futures': [pair('BTCF0:USTF0')],
    'pub:list:pair:securities': [],
    'pub:list:pair:margin': ['BTCUSD', 'ETHUSD'],
  };
  return keys.map((key) => values[key] ?? []);
}

function depositAddressReply(ctx: RouteContext): SimReply {
  const body = JSON.parse(ctx.req.body === '' ? '{}' : ctx.req.body) as { method?: string; op_renew?: number };
  const method = String(body.method ?? '').toUpperCase();
  const entry = methodTable(ctx.catalogue).find((m) => m.method === method);
  if (entry === undefined) return bitfinex.error('bad_request', 'method: invalid');
  const found = depositAddress(accountOf(ctx), ctx.catalogue, entry.code, entry.network, body.op_renew === 1);
  const slots = found?.tag === undefined ? [found?.address ?? null, null] : [found.tag, found.address];
  return json([Date.now(), 'acc_dep', null, null, [null, method, currencyId(entry.code), null, ...slots], null, 'SUCCESS', 'success']);
}

const router = new Router()
  .on('GET', '/v2/conf/:keys', { signed: false, handle: (ctx) => json(conf(ctx.catalogue, (ctx.pathParams['keys'] ?? '').split(','))) })
  .on('POST', '/v2/auth/r/wallets', {
    signed: true,
    handle: (ctx) => json(Object.entries(accountOf(ctx).balances).map(([code, amount]) => ['exchange', currencyId(code), amount, 0, amount, null, null])),
  })
  .on('POST', '/v2/auth/w/deposit/address', { signed: true, handle: depositAddressReply })
  // https://docs.bitfinex.com/reference/key-permissions: [SCOPE, READ, WRITE] for each of the documented scopes.
  .on('POST', '/v2/auth/r/permissions', {
    signed: true,
    open: true,
    handle: (ctx) => {
      const { read, trade, withdraw } = accountOf(ctx).permissions;
      const flag = (on: boolean): number => (on ? 1 : 0);
      return json([
        ['account', flag(read), 0],
        ['history', flag(read), 0],
        ['orders', flag(read), flag(trade)],
        ['positions', flag(read), flag(trade)],
        ['funding', flag(read), flag(trade)],
        ['settings', flag(read), 0],
        ['wallets', flag(read), 0],
        ['withdraw', 0, flag(withdraw)],
        ['ui_withdraw', 0, 0],
        ['bfxpay', 0, 0],
      ]);
    },
  });

/** Nonces may trail the highest one seen for the key by this much (ms) before `nonce: small`. */
const NONCE_WINDOW_MS = 10_000;
const highestNonce = new WeakMap<object, number>();

function failure(status: number, code: number, message: string): SimReply {
  return json(['error', code, message], status);
}

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: failure(500, 10100, 'apikey: invalid'),
  signature: failure(500, 10100, 'apikey: digest invalid'),
  passphrase: failure(500, 10100, 'apikey: invalid'),
  timestamp: failure(500, 10114, 'nonce: small'),
};

/**
 * Bitfinex v2 authenticated endpoints: `bfx-apikey`, `bfx-nonce`, `bfx-signature` = hex
 * HMAC-SHA384 of `/api` + path + nonce + body. Errors are `["error", code, text]` with HTTP 500.
 */
export const bitfinex: Dialect = {
  id: 'bitfinex',
  claimedKey: (req) => header(req, 'bfx-apikey'),
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = header(req, 'bfx-apikey');
    const account = apiKey === undefined ? undefined : lookup(apiKey);
    if (account === undefined) return { ok: false, failure: 'key' };
    const nonceText = header(req, 'bfx-nonce') ?? '';
    const expected = hmac('sha384', account.secret, `/api${req.path}${nonceText}${req.body}`, 'hex');
    if (!sameSignature(expected, header(req, 'bfx-signature'))) return { ok: false, failure: 'signature' };
    const nonce = Number(nonceText);
    const highest = highestNonce.get(account) ?? 0;
    if (!Number.isSafeInteger(nonce) || nonce < highest - NONCE_WINDOW_MS) return { ok: false, failure: 'timestamp' };
    highestNonce.set(account, Math.max(highest, nonce));
    return { ok: true, account };
  },
  error(kind: ErrorKind, detail?: string): SimReply {
    switch (kind) {
      case 'auth':
        return AUTH_ERRORS[(detail as AuthFailure | undefined) ?? 'key'] ?? AUTH_ERRORS.key;
      case 'invalid_nonce':
        return AUTH_ERRORS.timestamp;
      case 'permission':
        return failure(500, 10001, 'apikey: permission invalid');
      case 'rate_limit':
        return failure(429, 11010, 'ratelimit: error');
      case 'maintenance':
        return failure(500, 20060, 'maintenance');
      case 'server_error':
        return text('Bad Gateway', 502);
      case 'malformed':
        return truncated([Date.now(), 'acc_dep', null, null, [null, 'BITCOIN', 'BTC', null, 'bc1q', null], null, 'SUCCESS', 'success']);
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return failure(500, 10020, detail ?? 'request: invalid');
    }
  },
};
