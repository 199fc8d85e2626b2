import { accountOf, json, SimError, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, Verdict } from './dialect.js';
import { depositAddress, listedCurrency } from './deposits.js';
import { nativeChainId } from './networks.js';
import { Router } from './router.js';
import { hmac, header, sameSignature, withinWindow } from './signing.js';
import type { SimAddress } from './account.js';

/** KuCoin envelope: CCXT accepts only `code: "200000"`. */
function ok(data: unknown): SimReply {
  return json({ code: '200000', data });
}

function failure(code: string, msg: string, status = 400): SimReply {
  return json({ code, msg }, status);
}

function symbol(id: string): unknown {
  const [base, quote] = id.split('-');
  return {
    symbol: id,
    name: id,
    baseCurrency: base,
    quoteCurrency: quote,
    feeCurrency: quote,
    market: 'USDS',
    baseMinSize: '0.00001',
    quoteMinSize: '0.1',
    baseMaxSize: '10000000000',
    quoteMaxSize: '99999999',
    baseIncrement: '0.00000001',
    quoteIncrement: '0.000001',
    priceIncrement: '0.1',
    isMarginEnabled: true,
    enableTrading: true,
  };
}

const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'XRP-USDT', 'ETH-BTC'];

const CONTRACTS = [
  { symbol: 'XBTUSDTM', baseCurrency: 'XBT', quoteCurrency: 'USDT', settleCurrency: 'USDT', multiplier: 0.001, isInverse: false, status: 'Open', nextFundingRateTime: 14_400_000, tickSize: 0.1, lotSize: 1, maxOrderQty: 1_000_000, maxPrice: 1_000_000, maxLeverage: 125, makerFeeRate: 0.0002, takerFeeRate: 0.0006 },
];

function currencies(ctx: RouteContext): SimReply {
  return ok(
    ctx.catalogue.list().map((c) => ({
      currency: c.code,
      name: c.code,
      fullName: c.name,
      precision: 8,
      isMarginEnabled: false,
      isDebitEnabled: false,
      chains: c.networks.map((n) => ({
        chainName: n.network,
        chainId: nativeChainId('kucoin', n.network),
        withdrawalMinSize: '0.001',
        withdrawalMinFee: '0.0005',
        isWithdrawEnabled: true,
        isDepositEnabled: n.depositEnabled,
        confirms: 12,
        withdrawPrecision: 8,
        needTag: n.tagRequired,
      })),
    })),
  );
}

function addressData(code: string, a: SimAddress): Record<string, unknown> {
  return { address: a.address, memo: a.tag ?? '', chain: a.network, chainId: nativeChainId('kucoin', a.network), to: 'MAIN', currency: code };
}

/** The chain asked for by its lower-case chain id, or the currency's first chain. */
function chainOf(ctx: RouteContext, code: string, chainId: string | undefined): string {
  const listed = listedCurrency(ctx.catalogue, code);
  const network = chainId === undefined ? listed.networks[0] : listed.networks.find((n) => nativeChainId('kucoin', n.network) === chainId.toLowerCase());
  if (network === undefined) throw new SimError('bad_request', `Invalid chainId ${chainId ?? ''}`);
  return network.network;
}

function fetchAddress(ctx: RouteContext): SimReply {
  const code = ctx.req.query.get('currency') ?? '';
  const chain = chainOf(ctx, code, ctx.req.query.get('chain') ?? undefined);
  const found = depositAddress(accountOf(ctx), ctx.catalogue, code, chain, false);
  return ok(found === undefined ? null : addressData(code, found));
}

function createAddress(ctx: RouteContext): SimReply {
  const body = JSON.parse(ctx.req.body === '' ? '{}' : ctx.req.body) as { currency?: string; chain?: string };
  const code = body.currency ?? '';
  const chain = chainOf(ctx, code, body.chain);
  const account = accountOf(ctx);
  if (account.findAddress(code, chain) !== undefined) return failure('260000', 'Deposit address already exists.');
  const created = depositAddress(account, ctx.catalogue, code, chain, true);
  return ok(created === undefined ? null : addressData(code, created));
}

const router = new Router()
  .on('GET', '/api/v3/currencies', { signed: false, handle: currencies })
  .on('GET', '/api/v2/symbols', { signed: false, handle: () => ok(SYMBOLS.map(symbol)) })
  .on('GET', '/api/v1/market/allTickers', {
    signed: false,
    handle: () => ok({ time: Date.now(), ticker: SYMBOLS.map((s) => ({ symbol: s, symbolName: s, takerFeeRate: '0.001', makerFeeRate: '0.001', takerCoefficient: '1', makerCoefficient: '1' })) }),
  })
  .on('GET', '/api/v1/contracts/active', { signed: false, handle: () => ok(CONTRACTS) })
  .on('GET', '/api/ua/v1/account/mode', { signed: true, handle: () => ok({ selfAccountMode: 'CLASSIC' }) })
  .on('GET', '/api/v3/margin/symbols', { signed: true, handle: () => ok({ timestamp: Date.now(), items: [symbol('BTC-USDT')] }) })
  .on('GET', '/api/v1/isolated/symbols', { signed: true, handle: () => ok([{ symbol: 'BTC-USDT', baseCurrency: 'BTC', quoteCurrency: 'USDT', tradeEnable: true }]) })
  .on('GET', '/api/v1/hf/accounts/opened', { signed: true, handle: () => ok(false) })
  .on('GET', '/api/v1/accounts', {
    signed: true,
    handle: (ctx) => {
      const type = ctx.req.query.get('type') ?? 'trade';
      return ok(
        Object.entries(accountOf(ctx).balances).map(([currency, amount], i) => ({
          id: String(1000 + i),
          currency,
          type,
          balance: String(amount),
          available: String(amount),
          holds: '0',
        })),
      );
    },
  })
  .on('GET', '/api/v1/deposit-addresses', { signed: true, handle: fetchAddress })
  .on('GET', '/api/v2/deposit-addresses', {
    signed: true,
    handle: (ctx) => {
      const code = ctx.req.query.get('currency') ?? '';
      listedCurrency(ctx.catalogue, code);
      return ok(accountOf(ctx).addressesOf(code).map((a) => addressData(code, a)));
    },
  })
  .on('POST', '/api/v3/deposit-address/create', { signed: true, handle: createAddress })
  // "Get Apikey Info" (https://www.kucoin.com/docs-new/api-3470130): permission words General, Spot, Margin, Futures,
  // InnerTransfer, Transfer (withdrawals), Earn; ipWhitelist as KuCoin shows it, partly masked.
  .on('GET', '/api/v1/user/api-key', {
    signed: true,
    open: true,
    handle: (ctx) => {
      const { apiKey, permissions, uid } = accountOf(ctx);
      const granted = ['General', ...(permissions.trade ? ['Spot', 'Margin'] : []), 'Earn', 'InnerTransfer', ...(permissions.withdraw ? ['Transfer'] : [])];
      const masked = (permissions.ipAllowlist ?? []).map((ip) => ip.replace(/^(\d+)\.\d+\.\d+\.(\d+)$/, '$1.**.$2'));
      return ok({ remark: 'simulator', apiKey, apiVersion: 3, permission: granted.join(','), ipWhitelist: masked.join(','), createdAt: 1_728_443_843_000, uid, isMaster: true });
    },
  });

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: failure('400003', 'KC-API-KEY not exists', 401),
  signature: failure('400005', 'Invalid KC-API-SIGN', 401),
  passphrase: failure('400004', 'Invalid KC-API-PASSPHRASE', 401),
  timestamp: failure('400002', 'KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds', 401),
};

/**
 * KuCoin v2 keys: `KC-API-*` headers; the passphrase travels HMAC-ed with the secret, the
 * signature is base64 HMAC-SHA256 of timestamp + method + path?query + body; 5 s window.
 */
export const kucoin: Dialect = {
  id: 'kucoin',
  claimedKey: (req) => header(req, 'kc-api-key'),
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = header(req, 'kc-api-key');
    const account = apiKey === undefined ? undefined : lookup(apiKey);
    if (account === undefined) return { ok: false, failure: 'key' };
    const timestamp = header(req, 'kc-api-timestamp') ?? '';
    if (!withinWindow(Number(timestamp), req.now, 5000)) return { ok: false, failure: 'timestamp' };
    const passphrase = hmac('sha256', account.secret, account.passphrase ?? '', 'base64');
    if (!sameSignature(passphrase, header(req, 'kc-api-passphrase'))) return { ok: false, failure: 'passphrase' };
    const path = req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`;
    const expected = hmac('sha256', account.secret, `${timestamp}${req.method}${path}${req.body}`, 'base64');
    return sameSignature(expected, header(req, 'kc-api-sign')) ? { ok: true, account } : { ok: false, failure: 'signature' };
  },
  error(kind: ErrorKind, detail?: string): SimReply {
    switch (kind) {
      case 'auth':
        return AUTH_ERRORS[(detail as AuthFailure | undefined) ?? 'key'] ?? AUTH_ERRORS.key;
      case 'invalid_nonce':
        return AUTH_ERRORS.timestamp;
      case 'permission':
        // System error code 400007 "Access Denied" (https://github.com/Kucoin/kucoin-api-docs, source/localizable/index.html.md).
        return failure('400007', 'Access Denied', 403);
      case 'rate_limit':
        return failure('429000', 'Exceeded the access frequency, please retry later.', 429);
      case 'maintenance':
        return text('<html><body>System maintenance</body></html>', 503);
      case 'server_error':
        return text('Bad Gateway', 502);
      case 'malformed':
        return truncated({ code: '200000', data: { address: 'bc1q', memo: '', chainId: 'btc' } });
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return failure('400100', detail ?? 'Parameter error');
    }
  },
};
