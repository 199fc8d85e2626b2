import type { Catalogue } from './catalogue.js';
import { accountOf, json, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, SimRequest, Verdict } from './dialect.js';
import { depositAddress, listedCurrency } from './deposits.js';
import { canonicalChain, nativeChainId } from './networks.js';
import { Router } from './router.js';
import { hmac, header, sameSignature, withinWindow } from './signing.js';

/** Block explorers per chain: CCXT finds the network of an address by the domain of `url`. */
const EXPLORERS: Readonly<Record<string, string>> = {
  BTC: 'https://mempool.space/address/',
  ERC20: 'https://etherscan.io/address/',
  TRC20: 'https://tronscan.org/#/address/',
  BEP20: 'https://bscscan.com/address/',
  XRP: 'https://xrpscan.com/account/',
  SOL: 'https://solscan.io/account/',
  LTC: 'https://litecoinspace.org/address/',
};

function explorer(chain: string): string {
  return EXPLORERS[chain] ?? `https://${chain.toLowerCase()}.explorer.example/address/`;
}

function spotSymbol(symbol: string, base: string, quote: string): Record<string, unknown> {
  return {
    symbol,
    status: 'TRADING',
    baseAsset: base,
    quoteAsset: quote,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    orderTypes: ['LIMIT', 'MARKET'],
    permissions: ['SPOT', 'MARGIN'],
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000', tickSize: '0.01' },
      { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000', stepSize: '0.00001' },
    ],
  };
}

const SPOT = [spotSymbol('BTCUSDT', 'BTC', 'USDT'), spotSymbol('ETHUSDT', 'ETH', 'USDT'), spotSymbol('ETHBTC', 'ETH', 'BTC'), spotSymbol('XRPUSDT', 'XRP', 'USDT')];
const LINEAR = [{ ...spotSymbol('BTCUSDT', 'BTC', 'USDT'), contractType: 'PERPETUAL', contractStatus: 'TRADING', marginAsset: 'USDT', deliveryDate: 4133404800000 }];
const INVERSE = [{ ...spotSymbol('BTCUSD_PERP', 'BTC', 'USD'), pair: 'BTCUSD', contractType: 'PERPETUAL', contractStatus: 'TRADING', marginAsset: 'BTC', contractSize: 100, deliveryDate: 4133404800000 }];

function exchangeInfo(symbols: unknown[]): () => SimReply {
  return () => json({ timezone: 'UTC', serverTime: Date.now(), rateLimits: [], exchangeFilters: [], symbols });
}

function coinList(catalogue: Catalogue): unknown[] {
  return catalogue.list().map((currency) => ({
    coin: currency.code,
    name: currency.name,
    depositAllEnable: currency.networks.some((n) => n.depositEnabled),
    withdrawAllEnable: true,
    isLegalMoney: false,
    trading: true,
    networkList: currency.networks.map((n, i) => ({
      network: nativeChainId('binance', n.network),
      coin: currency.code,
      name: n.network,
      isDefault: i === 0,
      depositEnable: n.depositEnabled,
      withdrawEnable: true,
      withdrawFee: '0.001',
      withdrawMin: '0.002',
      withdrawMax: '9999999',
      withdrawIntegerMultiple: '0.00000001',
      sameAddress: n.tagRequired,
      memoRegex: n.tagRequired ? '^[0-9]{1,10}$' : '',
      minConfirm: 12,
      contractAddressUrl: explorer(n.network),
    })),
  }));
}

function depositAddressReply(ctx: RouteContext): SimReply {
  const account = accountOf(ctx);
  const code = ctx.req.query.get('coin') ?? '';
  const listed = listedCurrency(ctx.catalogue, code);
  const networkId = ctx.req.query.get('network');
  const network = networkId === null
    ? listed.networks[0]
    : listed.networks.find((n) => nativeChainId('binance', n.network) === networkId);
  if (network === undefined) return binance.error('bad_request', `Network ${networkId ?? ''} is not supported for ${code}`);
  const found = depositAddress(account, ctx.catalogue, code, network.network, false);
  // Binance never creates on request in the simulator: a missing address comes back empty.
  return json({
    coin: code,
    address: found?.address ?? '',
    tag: found?.tag ?? '',
    url: found === undefined ? '' : explorer(canonicalChain(network.network)) + found.address,
  });
}

const router = new Router()
  .on('GET', '/api/v3/exchangeInfo', { signed: false, handle: exchangeInfo(SPOT) })
  .on('GET', '/fapi/v1/exchangeInfo', { signed: false, handle: exchangeInfo(LINEAR) })
  .on('GET', '/dapi/v1/exchangeInfo', { signed: false, handle: exchangeInfo(INVERSE) })
  .on('GET', '/sapi/v1/capital/config/getall', { signed: true, handle: (ctx) => json(coinList(ctx.catalogue)) })
  .on('GET', '/sapi/v1/margin/allPairs', {
    signed: true,
    handle: () => json([{ id: '1', symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', isMarginTrade: true, isBuyAllowed: true, isSellAllowed: true }]),
  })
  .on('GET', '/sapi/v1/margin/isolated/allPairs', {
    signed: true,
    handle: () => json([{ symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', isMarginTrade: true, isBuyAllowed: true, isSellAllowed: true }]),
  })
  .on('GET', '/api/v3/account', {
    signed: true,
    handle: (ctx) => {
      const account = accountOf(ctx);
      return json({
        makerCommission: 10,
        takerCommission: 10,
        canTrade: account.permissions.trade,
        canWithdraw: account.permissions.withdraw,
        canDeposit: true,
        updateTime: Date.now(),
        accountType: 'SPOT',
        balances: Object.entries(account.balances).map(([asset, free]) => ({ asset, free: String(free), locked: '0.00000000' })),
        permissions: ['SPOT'],
      });
    },
  })
  .on('GET', '/sapi/v1/capital/deposit/address', { signed: true, handle: depositAddressReply })
  // https://developers.binance.com/docs/wallet/account/api-key-permission: the current example's fields; and
  // tradingAuthorityExpirationTime, in Binance's OpenAPI file, when the trading permission lapses.
  .on('GET', '/sapi/v1/account/apiRestrictions', {
    signed: true,
    open: true,
    handle: (ctx) => {
      const { permissions } = accountOf(ctx);
      return json({
        ipRestrict: (permissions.ipAllowlist ?? []).length > 0,
        createTime: 1_698_645_219_000,
        enableReading: permissions.read,
        enableWithdrawals: permissions.withdraw,
        enableInternalTransfer: false,
        enableMargin: false,
        enableFutures: false,
        permitsUniversalTransfer: false,
        enableVanillaOptions: false,
        enableFixApiTrade: false,
        enableFixReadOnly: true,
        enableSpotAndMarginTrading: permissions.trade,
        enablePortfolioMarginTrading: false,
        ...(permissions.expiresAt === undefined ? {} : { tradingAuthorityExpirationTime: permissions.expiresAt }),
      });
    },
  });

/** The payload Binance signs: the query (GET) or form body (POST) up to `&signature=`. */
function signedPayload(req: SimRequest): { payload: string; signature: string | undefined } {
  const source = req.method === 'GET' || req.method === 'DELETE' ? req.rawQuery : req.body;
  const at = source.lastIndexOf('signature=');
  if (at < 0) return { payload: source, signature: undefined };
  return { payload: source.slice(0, Math.max(0, at - 1)), signature: source.slice(at + 'signature='.length) };
}

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: json({ code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }, 401),
  signature: json({ code: -1022, msg: 'Signature for this request is not valid.' }, 400),
  timestamp: json({ code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' }, 400),
  passphrase: json({ code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }, 401),
};

/**
 * Binance spot + SAPI: `X-MBX-APIKEY` header, hex HMAC-SHA256 of the query in `signature`,
 * `timestamp` within `recvWindow` (at most 1 s ahead). Errors are `{code,msg}` JSON.
 */
export const binance: Dialect = {
  id: 'binance',
  claimedKey: (req) => header(req, 'x-mbx-apikey'),
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = header(req, 'x-mbx-apikey');
    const account = apiKey === undefined ? undefined : lookup(apiKey);
    if (account === undefined) return { ok: false, failure: 'key' };
    const { payload, signature } = signedPayload(req);
    const params = new URLSearchParams(payload);
    const recvWindow = Number(params.get('recvWindow') ?? 5000);
    if (!withinWindow(Number(params.get('timestamp')), req.now, Math.min(recvWindow, 60_000), 1000)) {
      return { ok: false, failure: 'timestamp' };
    }
    const expected = hmac('sha256', account.secret, payload, 'hex');
    return sameSignature(expected, signature) ? { ok: true, account } : { ok: false, failure: 'signature' };
  },
  error(kind: ErrorKind, detail?: string): SimReply {
    switch (kind) {
      case 'auth':
        return AUTH_ERRORS[(detail as AuthFailure | undefined) ?? 'key'] ?? AUTH_ERRORS.key;
      case 'invalid_nonce':
        return AUTH_ERRORS.timestamp;
      case 'permission':
        return json({ code: -1002, msg: 'You are not authorized to execute this request.' }, 401);
      case 'rate_limit':
        return json({ code: -1003, msg: 'Too many requests; current limit of IP is 6000 requests per minute.' }, 429);
      case 'maintenance':
        return json({ code: 1, msg: 'System is under maintenance.' }, 503);
      case 'server_error':
        return text('Service Unavailable', 503);
      case 'malformed':
        return truncated({ makerCommission: 10, balances: [{ asset: 'BTC', free: '1' }] });
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return json({ code: -1102, msg: detail ?? 'Mandatory parameter was not sent, was empty/null, or malformed.' }, 400);
    }
  },
};
