import { accountOf, json, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, Verdict } from './dialect.js';
import { listedCurrency } from './deposits.js';
import { nativeChainId } from './networks.js';
import { Router } from './router.js';
import { hmac, header, sameSignature, withinWindow } from './signing.js';

/** Bybit v5 envelope; CCXT treats any `retCode` other than 0 as an error. */
function ok(result: unknown): SimReply {
  return json({ retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() });
}

function failure(retCode: number, retMsg: string, status = 200): SimReply {
  return json({ retCode, retMsg, result: {}, retExtInfo: {}, time: Date.now() }, status);
}

const EXPIRY = '1924934400000';
const lot = { basePrecision: '0.000001', quotePrecision: '0.00000001', minOrderQty: '0.000048', maxOrderQty: '71', minOrderAmt: '1', maxOrderAmt: '2000000', qtyStep: '0.001', minNotionalValue: '5' };
const price = { tickSize: '0.01', minPrice: '0.10', maxPrice: '1999999.80' };
const leverageFilter = { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' };

function spot(symbol: string, baseCoin: string, quoteCoin: string): unknown {
  return { symbol, baseCoin, quoteCoin, status: 'Trading', marginTrading: 'both', lotSizeFilter: lot, priceFilter: price };
}

/** Instruments by category; CCXT pages while `nextPageCursor` is present, so it never is. */
function instruments(category: string, status: string | null, baseCoin: string | null): unknown[] {
  if (status === 'PreLaunch') return [];
  switch (category) {
    case 'spot':
      return [spot('BTCUSDT', 'BTC', 'USDT'), spot('ETHUSDT', 'ETH', 'USDT'), spot('XRPUSDT', 'XRP', 'USDT')];
    case 'linear':
      return [{ symbol: 'BTCUSDT', contractType: 'LinearPerpetual', status: 'Trading', baseCoin: 'BTC', quoteCoin: 'USDT', settleCoin: 'USDT', launchTime: '1585526400000', deliveryTime: '0', lotSizeFilter: lot, priceFilter: price, leverageFilter }];
    case 'inverse':
      return [{ symbol: 'BTCUSD', contractType: 'InversePerpetual', status: 'Trading', baseCoin: 'BTC', quoteCoin: 'USD', settleCoin: 'BTC', launchTime: '1585526400000', deliveryTime: '0', lotSizeFilter: lot, priceFilter: price, leverageFilter }];
    case 'option': {
      const base = baseCoin ?? 'BTC';
      return [{ symbol: `${base}-31DEC30-100000-C`, optionsType: 'Call', status: 'Trading', baseCoin: base, quoteCoin: 'USDC', settleCoin: 'USDC', launchTime: '1700000000000', deliveryTime: EXPIRY, lotSizeFilter: lot, priceFilter: price }];
    }
    default:
      return [];
  }
}

function coins(ctx: RouteContext): SimReply {
  const rows = ctx.catalogue.list().map((currency) => ({
    name: currency.code,
    coin: currency.code,
    remainAmount: '1000000',
    chains: currency.networks.map((n) => ({
      chainType: n.network,
      chain: nativeChainId('bybit', n.network),
      confirmation: '12',
      withdrawFee: '0.0005',
      depositMin: '0',
      withdrawMin: '0.001',
      minAccuracy: '8',
      chainDeposit: n.depositEnabled ? '1' : '0',
      chainWithdraw: '1',
      withdrawPercentageFee: '0',
    })),
  }));
  return ok({ rows });
}

/** With `chainType`, that chain (empty address when there is none); without, every chain that has one. */
function depositAddresses(ctx: RouteContext): SimReply {
  const account = accountOf(ctx);
  const code = ctx.req.query.get('coin') ?? '';
  const listed = listedCurrency(ctx.catalogue, code);
  const chainType = ctx.req.query.get('chainType');
  const entry = (network: string): unknown => {
    const found = account.findAddress(code, network);
    const chain = nativeChainId('bybit', network);
    return { chainType: network, chain, addressDeposit: found?.address ?? '', tagDeposit: found?.tag ?? '', batchReleaseLimit: '-1' };
  };
  if (chainType !== null) {
    const network = listed.networks.find((n) => nativeChainId('bybit', n.network) === chainType);
    if (network === undefined) return failure(10001, `chainType ${chainType} is not supported for ${code}`);
    return ok({ coin: code, chains: [entry(network.network)] });
  }
  return ok({ coin: code, chains: account.addressesOf(code).map((a) => entry(a.network)) });
}

const router = new Router()
  .on('GET', '/v5/market/instruments-info', {
    signed: false,
    handle: (ctx) => {
      const q = ctx.req.query;
      const category = q.get('category') ?? 'spot';
      return ok({ category, list: instruments(category, q.get('status'), q.get('baseCoin')) });
    },
  })
  .on('GET', '/v5/asset/coin/query-info', { signed: true, handle: coins })
  .on('GET', '/v5/asset/deposit/query-address', { signed: true, handle: depositAddresses })
  .on('GET', '/v5/account/info', {
    signed: true,
    handle: () => ok({ unifiedMarginStatus: 6, marginMode: 'REGULAR_MARGIN', isMasterTrader: false, spotHedgingStatus: 'OFF', updatedTime: String(Date.now()) }),
  })
  .on('GET', '/v5/account/wallet-balance', {
    signed: true,
    handle: (ctx) => {
      const coin = Object.entries(accountOf(ctx).balances).map(([c, amount]) => ({
        coin: c,
        equity: String(amount),
        walletBalance: String(amount),
        locked: '0',
        totalOrderIM: '0',
        totalPositionIM: '0',
      }));
      return ok({ list: [{ accountType: 'UNIFIED', totalEquity: '0', coin }] });
    },
  })
  // https://bybit-exchange.github.io/docs/v5/user/apikey-info, as its example: every trading bucket is filled even for
  // a read-only key (readOnly 1); "Withdraw" in Wallet; ips ["*"] for a key bound to no IP, whose expiry is then told.
  .on('GET', '/v5/user/query-api', {
    signed: true,
    open: true,
    handle: (ctx) => {
      const { apiKey, permissions, uid } = accountOf(ctx);
      const ips = permissions.ipAllowlist ?? [];
      // "The expiry day of the api key. Only for those api key with no IP bound or the password has been changed".
      const expires = ips.length > 0 ? undefined : permissions.expiresAt;
      return ok({
        id: String(uid % 10_000_000),
        note: 'simulator',
        apiKey,
        readOnly: permissions.trade ? 0 : 1,
        secret: '',
        permissions: {
          ContractTrade: ['Order', 'Position'],
          Spot: ['SpotTrade'],
          Wallet: permissions.withdraw ? ['AccountTransfer', 'SubMemberTransfer', 'Withdraw'] : ['AccountTransfer', 'SubMemberTransfer'],
          Options: [],
          Derivatives: ['DerivativesTrade'],
          CopyTrading: [],
          BlockTrade: [],
          Exchange: ['ExchangeHistory'],
          NFT: [],
          Affiliate: [],
          Earn: ['Earn'],
        },
        ips: ips.length > 0 ? ips : ['*'],
        type: 1,
        deadlineDay: expires === undefined ? -2 : Math.ceil((expires - Date.now()) / 86_400_000),
        expiredAt: new Date(expires ?? 0).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        createdAt: '2025-10-13T03:20:45Z',
        unified: 0,
        uta: 1,
        userID: uid,
        inviterID: 0,
        vipLevel: 'No VIP',
        mktMakerLevel: '0',
        affiliateID: 0,
        rsaPublicKey: '',
        isMaster: true,
        parentUid: '0',
        kycLevel: 'LEVEL_1',
        kycRegion: 'MYS',
      });
    },
  });

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: failure(10003, 'API key is invalid.', 401),
  signature: failure(10004, 'error sign! origin_string does not match', 401),
  timestamp: failure(10002, 'invalid request, please check your server timestamp or recv_window param'),
  passphrase: failure(10003, 'API key is invalid.', 401),
};

/**
 * Bybit v5: `X-BAPI-*` headers; hex HMAC-SHA256 of timestamp + apiKey + recvWindow + query (GET)
 * or body (POST); the timestamp must fall inside recvWindow. Errors are `retCode` JSON.
 */
export const bybit: Dialect = {
  id: 'bybit',
  claimedKey: (req) => header(req, 'x-bapi-api-key'),
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = header(req, 'x-bapi-api-key');
    const account = apiKey === undefined ? undefined : lookup(apiKey);
    if (account === undefined) return { ok: false, failure: 'key' };
    const timestamp = header(req, 'x-bapi-timestamp') ?? '';
    const recvWindow = header(req, 'x-bapi-recv-window') ?? '5000';
    if (!withinWindow(Number(timestamp), req.now, Number(recvWindow), 1000)) return { ok: false, failure: 'timestamp' };
    const payload = req.method === 'GET' ? req.rawQuery : req.body;
    const expected = hmac('sha256', account.secret, `${timestamp}${account.apiKey}${recvWindow}${payload}`, 'hex');
    return sameSignature(expected, header(req, 'x-bapi-sign')) ? { ok: true, account } : { ok: false, failure: 'signature' };
  },
  error(kind: ErrorKind, detail?: string): SimReply {
    switch (kind) {
      case 'auth':
        return AUTH_ERRORS[(detail as AuthFailure | undefined) ?? 'key'] ?? AUTH_ERRORS.key;
      case 'invalid_nonce':
        return AUTH_ERRORS.timestamp;
      case 'permission':
        return failure(10005, 'Permission denied, please check your API key permissions.');
      case 'rate_limit':
        return failure(10006, 'Too many visits. Exceeded the API Rate Limit.');
      case 'maintenance':
        return text('The service is under maintenance, please try again later.', 503);
      case 'server_error':
        return text('Bad Gateway', 502);
      case 'malformed':
        return truncated({ retCode: 0, retMsg: 'OK', result: { coin: 'BTC', chains: [{ chain: 'BTC', addressDeposit: 'bc1q' }] } });
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return failure(10001, detail ?? 'params error');
    }
  },
};
