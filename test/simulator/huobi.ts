import type { ListedNetwork } from './catalogue.js';
import { accountOf, json, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, SimRequest, Verdict } from './dialect.js';
import { listedCurrency } from './deposits.js';
import { canonicalChain, isNativeChain, nativeChainId } from './networks.js';
import { Router } from './router.js';
import { hmac, sameSignature, withinWindow } from './signing.js';

/** HTX signs the hostname CCXT is configured with, not the one it dials (see url-override). */
const SIGNED_HOSTS = ['api.huobi.pro', 'api.hbdm.vn', 'api.hbdm.com', 'api-aws.huobi.pro'];

/**
 * HTX chain ids are per coin: the coin's own chain is its lower-case code (`btc`), tokens get
 * protocol + coin (`trc20usdt`); `baseChain` carries the chain name CCXT maps to a unified code.
 */
export function huobiChainId(code: string, chain: string): string {
  return isNativeChain(chain, code) ? code.toLowerCase() : `${canonicalChain(chain).toLowerCase()}${code.toLowerCase()}`;
}

function v1(data: unknown): SimReply {
  return json({ status: 'ok', data });
}

function v2(data: unknown): SimReply {
  return json({ code: 200, data, ok: true });
}

function failure(errCode: string, errMsg: string, status = 200): SimReply {
  return json({ status: 'error', 'err-code': errCode, 'err-msg': errMsg, data: null }, status);
}

function spot(base: string, quote: string): unknown {
  return {
    'base-currency': base,
    'quote-currency': quote,
    symbol: `${base}${quote}`,
    state: 'online',
    'price-precision': 2,
    'amount-precision': 6,
    'value-precision': 8,
    'min-order-amt': 0.0001,
    'max-order-amt': 1000,
    'min-order-value': 5,
    'leverage-ratio': 5,
    'symbol-partition': 'main',
    'api-trading': 'enabled',
  };
}

const CONTRACT = { contract_size: 0.001, price_tick: 0.1, contract_status: 1, create_date: '20200325', settlement_date: '1924934400000' };
const LINEAR = [{ ...CONTRACT, symbol: 'BTC', contract_code: 'BTC-USDT', pair: 'BTC-USDT', business_type: 'swap', contract_type: 'swap', support_margin_mode: 'all', trade_partition: 'USDT' }];
const INVERSE_SWAP = [{ ...CONTRACT, contract_size: 100, symbol: 'BTC', contract_code: 'BTC-USD' }];
const INVERSE_FUTURE = [{ ...CONTRACT, contract_size: 100, symbol: 'BTC', contract_code: 'BTC301231', contract_type: 'quarter', delivery_date: '20301231', delivery_time: '1924934400000' }];

function chainEntry(code: string, n: ListedNetwork): unknown {
  return {
    chain: huobiChainId(code, n.network),
    displayName: n.network,
    baseChain: nativeChainId('huobi', n.network),
    baseChainProtocol: n.network,
    isDynamic: false,
    numOfConfirmations: 12,
    numOfFastConfirmations: 6,
    depositStatus: n.depositEnabled ? 'allowed' : 'prohibited',
    minDepositAmt: '0.0001',
    withdrawStatus: 'allowed',
    minWithdrawAmt: '0.001',
    withdrawPrecision: 8,
    maxWithdrawAmt: '1000000',
    withdrawQuotaPerDay: '1000000',
    withdrawFeeType: 'fixed',
    transactFeeWithdraw: '0.0005',
    addrWithTag: n.tagRequired,
    addrDepositTag: n.tagRequired,
  };
}

function depositAddresses(ctx: RouteContext): SimReply {
  const id = ctx.req.query.get('currency') ?? '';
  const code = id.toUpperCase();
  listedCurrency(ctx.catalogue, code);
  const account = accountOf(ctx);
  return v2(account.addressesOf(code).map((a) => ({ userId: 1, currency: id, address: a.address, addressTag: a.tag ?? '', chain: huobiChainId(code, a.network) })));
}

const ACCOUNT_ID = 10_000_001;

const router = new Router()
  .on('GET', '/v2/reference/currencies', {
    signed: false,
    handle: (ctx) =>
      v2(ctx.catalogue.list().map((c) => ({ currency: c.code.toLowerCase(), assetType: 1, instStatus: 'normal', chains: c.networks.map((n) => chainEntry(c.code, n)) }))),
  })
  .on('GET', '/v1/common/symbols', { signed: false, handle: () => v1([spot('btc', 'usdt'), spot('eth', 'usdt'), spot('xrp', 'usdt'), spot('eth', 'btc')]) })
  .on('GET', '/linear-swap-api/v1/swap_contract_info', { signed: false, handle: () => v1(LINEAR) })
  .on('GET', '/swap-api/v1/swap_contract_info', { signed: false, handle: () => v1(INVERSE_SWAP) })
  .on('GET', '/api/v1/contract_contract_info', { signed: false, handle: () => v1(INVERSE_FUTURE) })
  .on('GET', '/v1/account/accounts', { signed: true, handle: () => v1([{ id: ACCOUNT_ID, type: 'spot', subtype: '', state: 'working' }]) })
  .on('GET', '/v1/account/accounts/:id/balance', {
    signed: true,
    handle: (ctx) => {
      const list = Object.entries(accountOf(ctx).balances).flatMap(([currency, amount]) => [
        { currency: currency.toLowerCase(), type: 'trade', balance: String(amount) },
        { currency: currency.toLowerCase(), type: 'frozen', balance: '0' },
      ]);
      return v1({ id: Number(ctx.pathParams['id']), type: 'spot', state: 'working', list });
    },
  })
  .on('GET', '/v2/account/deposit/address', { signed: true, handle: depositAddresses })
  // GET /v2/user/uid (https://www.htx.com/en-us/opend/newApiPages/?id=7ec52d6c-7773-11ed-9966-0242ac110003).
  .on('GET', '/v2/user/uid', { signed: true, open: true, handle: (ctx) => v2(accountOf(ctx).uid) })
  // GET /v2/user/api-key (https://www.htx.com/en-us/opend/newApiPages/?id=7ec52c92-7773-11ed-9966-0242ac110003):
  // "accessKey ... if not specified, it will return all API keys belong to the UID".
  .on('GET', '/v2/user/api-key', {
    signed: true,
    open: true,
    handle: (ctx) => {
      const uid = ctx.req.query.get('uid');
      if (uid !== null && uid !== String(accountOf(ctx).uid)) return json({ code: 2002, message: 'invalid field value', ok: false });
      const accessKey = ctx.req.query.get('accessKey');
      const keys = ctx.peers.filter((k) => accessKey === null || k.apiKey === accessKey);
      return json({
        code: 200,
        message: 'success',
        data: keys.map(({ apiKey, permissions }) => ({
          accessKey: apiKey,
          status: 'normal',
          note: 'simulator',
          permission: ['readOnly', permissions.trade ? 'trade' : '', permissions.withdraw ? 'withdraw' : ''].filter((p) => p !== '').join(','),
          ipAddresses: (permissions.ipAllowlist ?? []).join(','),
          validDays: permissions.expiresAt === undefined ? -1 : Math.floor((permissions.expiresAt - Date.now()) / 86_400_000),
          createTime: 1_615_192_704_000,
          updateTime: 1_623_030_338_000,
        })),
        ok: true,
      });
    },
  });

/** Query minus `Signature`, and the signature itself (HTX appends it last). */
function splitSignature(req: SimRequest): { payload: string; signature: string | undefined } {
  const at = req.rawQuery.indexOf('&Signature=');
  if (at < 0) return { payload: req.rawQuery, signature: undefined };
  return { payload: req.rawQuery.slice(0, at), signature: decodeURIComponent(req.rawQuery.slice(at + '&Signature='.length)) };
}

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: failure('api-signature-not-valid', 'Signature not valid: Incorrect Access key [Access key错误]'),
  signature: failure('api-signature-not-valid', 'Signature not valid: Verification failure [验签失败]'),
  timestamp: failure('api-signature-not-valid', 'Signature not valid: Timestamp expired [时间戳过期]'),
  passphrase: failure('api-signature-not-valid', 'Signature not valid: Incorrect Access key [Access key错误]'),
};

/**
 * HTX (Huobi) signature v2: query parameters `AccessKeyId`, `SignatureMethod=HmacSHA256`,
 * `SignatureVersion=2`, `Timestamp` (UTC, seconds, 5 min window) and `Signature` = base64
 * HMAC-SHA256 of `METHOD\nhost\npath\nquery`. Errors are HTTP 200 with `err-code`.
 */
export const huobi: Dialect = {
  id: 'huobi',
  claimedKey: (req) => req.query.get('AccessKeyId') ?? undefined,
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = req.query.get('AccessKeyId');
    const account = apiKey === null ? undefined : lookup(apiKey);
    if (account === undefined) return { ok: false, failure: 'key' };
    if (!withinWindow(Date.parse(`${req.query.get('Timestamp') ?? ''}Z`), req.now, 300_000)) return { ok: false, failure: 'timestamp' };
    const { payload, signature } = splitSignature(req);
    const valid = SIGNED_HOSTS.some((host) =>
      sameSignature(hmac('sha256', account.secret, `${req.method}\n${host}\n${req.path}\n${payload}`, 'base64'), signature),
    );
    return valid ? { ok: true, account } : { ok: false, failure: 'signature' };
  },
  error(kind: ErrorKind, detail?: string): SimReply {
    switch (kind) {
      case 'auth':
        return AUTH_ERRORS[(detail as AuthFailure | undefined) ?? 'key'] ?? AUTH_ERRORS.key;
      case 'invalid_nonce':
        return AUTH_ERRORS.timestamp;
      case 'permission':
        return failure('api-signature-not-valid', 'Signature not valid: API key has no permission [API Key没有权限]');
      case 'rate_limit':
        return failure('base-request-exceed-frequency-limit', 'Frequency of requests has exceeded the limit, please try again later', 429);
      case 'maintenance':
        return failure('system-maintenance', 'System is in maintenance!');
      case 'server_error':
        return text('Bad Gateway', 502);
      case 'malformed':
        return truncated({ code: 200, data: [{ currency: 'btc', address: 'bc1q', chain: 'btc' }] });
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return failure('base-currency-chain-error', detail ?? 'The current currency chain does not exist');
    }
  },
};
