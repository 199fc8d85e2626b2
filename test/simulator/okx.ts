import { accountOf, json, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, Verdict } from './dialect.js';
import { listedCurrency } from './deposits.js';
import { nativeChainId } from './networks.js';
import { Router } from './router.js';
import { hmac, header, sameSignature, withinWindow } from './signing.js';

/** OKX answers every call, public ones too, inside `{code:"0", msg:"", data:[…]}`. */
function ok(data: unknown[]): SimReply {
  return json({ code: '0', msg: '', data });
}

const EXPIRY = '1924905600000'; // 2030-12-31

const INSTRUMENTS: Readonly<Record<string, unknown[]>> = {
  SPOT: [
    { instType: 'SPOT', instId: 'BTC-USDT', baseCcy: 'BTC', quoteCcy: 'USDT', state: 'live', lotSz: '0.00000001', tickSz: '0.1', minSz: '0.00001', lever: '10' },
    { instType: 'SPOT', instId: 'ETH-USDT', baseCcy: 'ETH', quoteCcy: 'USDT', state: 'live', lotSz: '0.000001', tickSz: '0.01', minSz: '0.0001', lever: '10' },
    { instType: 'SPOT', instId: 'XRP-USDT', baseCcy: 'XRP', quoteCcy: 'USDT', state: 'live', lotSz: '0.0001', tickSz: '0.0001', minSz: '1', lever: '5' },
  ],
  FUTURES: [
    { instType: 'FUTURES', instId: 'BTC-USD-301231', uly: 'BTC-USD', instFamily: 'BTC-USD', settleCcy: 'BTC', ctVal: '100', ctType: 'inverse', ctValCcy: 'USD', expTime: EXPIRY, state: 'live', lotSz: '1', tickSz: '0.1', minSz: '1', lever: '100' },
  ],
  SWAP: [
    { instType: 'SWAP', instId: 'BTC-USDT-SWAP', uly: 'BTC-USDT', instFamily: 'BTC-USDT', settleCcy: 'USDT', ctVal: '0.01', ctType: 'linear', ctValCcy: 'BTC', state: 'live', lotSz: '1', tickSz: '0.1', minSz: '1', lever: '100' },
  ],
};

function option(uly: string): unknown[] {
  const base = uly.split('-')[0] ?? 'BTC';
  return [
    { instType: 'OPTION', instId: `${uly}-301231-100000-C`, uly, instFamily: uly, settleCcy: base, ctVal: '0.01', ctValCcy: base, optType: 'C', stk: '100000', expTime: EXPIRY, state: 'live', lotSz: '1', tickSz: '0.0005', minSz: '1' },
  ];
}

function currencies(ctx: RouteContext): SimReply {
  const rows = ctx.catalogue.list().flatMap((currency) =>
    currency.networks.map((n, i) => ({
      ccy: currency.code,
      name: currency.name,
      chain: `${currency.code}-${nativeChainId('okx', n.network)}`,
      canDep: n.depositEnabled,
      canWd: true,
      canInternal: true,
      mainNet: i === 0,
      minWd: '0.001',
      maxWd: '1000000',
      fee: '0.0005',
      wdTickSz: '8',
      needTag: n.tagRequired,
    })),
  );
  return ok(rows);
}

function depositAddresses(ctx: RouteContext): SimReply {
  const account = accountOf(ctx);
  const code = ctx.req.query.get('ccy') ?? '';
  listedCurrency(ctx.catalogue, code);
  return ok(
    account.addressesOf(code).map((a) => ({
      ccy: code,
      chain: `${code}-${nativeChainId('okx', a.network)}`,
      addr: a.address,
      ...(a.tag === undefined ? {} : { tag: a.tag }),
      selected: true,
      to: '6',
    })),
  );
}

const router = new Router()
  .on('GET', '/api/v5/public/instruments', {
    signed: false,
    handle: (ctx) => {
      const type = ctx.req.query.get('instType') ?? '';
      return ok(type === 'OPTION' ? option(ctx.req.query.get('uly') ?? 'BTC-USD') : (INSTRUMENTS[type] ?? []));
    },
  })
  .on('GET', '/api/v5/asset/currencies', { signed: true, handle: currencies })
  .on('GET', '/api/v5/asset/deposit-address', { signed: true, handle: depositAddresses })
  .on('GET', '/api/v5/account/balance', {
    signed: true,
    handle: (ctx) => {
      const details = Object.entries(accountOf(ctx).balances).map(([ccy, amount]) => ({
        ccy,
        eq: String(amount),
        cashBal: String(amount),
        availBal: String(amount),
        frozenBal: '0',
      }));
      return ok([{ uTime: String(Date.now()), totalEq: '0', details }]);
    },
  })
  // https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration: perm "read_only,withdraw,trade",
  // ip "" when the key is bound to none.
  .on('GET', '/api/v5/account/config', {
    signed: true,
    open: true,
    handle: (ctx) => {
      const { permissions, uid } = accountOf(ctx);
      const perm = [permissions.read ? 'read_only' : '', permissions.withdraw ? 'withdraw' : '', permissions.trade ? 'trade' : ''].filter((p) => p !== '').join(',');
      return ok([
        {
          acctLv: '2',
          acctStpMode: 'cancel_maker',
          autoLoan: false,
          ctIsoMode: 'automatic',
          enableSpotBorrow: false,
          greeksType: 'PA',
          ip: (permissions.ipAllowlist ?? []).join(','),
          type: '0',
          kycLv: '3',
          label: 'simulator',
          level: 'Lv1',
          levelTmp: '',
          liquidationGear: '-1',
          mainUid: String(uid),
          mgnIsoMode: 'automatic',
          opAuth: '1',
          perm,
          posMode: 'net_mode',
          roleType: '0',
          spotBorrowAutoRepay: false,
          spotOffsetType: '',
          spotRoleType: '0',
          spotTraderInsts: [],
          stgyType: '0',
          traderInsts: [],
          uid: String(uid),
          settleCcy: 'USDT',
          settleCcyList: ['USD', 'USDC', 'USDT'],
        },
      ]);
    },
  });

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: json({ code: '50111', msg: 'Invalid OK-ACCESS-KEY', data: [] }, 401),
  signature: json({ code: '50113', msg: 'Invalid Sign', data: [] }, 401),
  passphrase: json({ code: '50105', msg: 'OK-ACCESS-PASSPHRASE incorrect', data: [] }, 401),
  timestamp: json({ code: '50102', msg: 'Timestamp request expired', data: [] }, 401),
};

/**
 * OKX v5: `OK-ACCESS-*` headers, base64 HMAC-SHA256 of timestamp + method + path?query + body,
 * ISO timestamp within 30 s, plain passphrase. CCXT maps errors by the JSON `code` only.
 */
export const okx: Dialect = {
  id: 'okx',
  claimedKey: (req) => header(req, 'ok-access-key'),
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = header(req, 'ok-access-key');
    const account = apiKey === undefined ? undefined : lookup(apiKey);
    if (account === undefined) return { ok: false, failure: 'key' };
    const timestamp = header(req, 'ok-access-timestamp') ?? '';
    if (!withinWindow(Date.parse(timestamp), req.now, 30_000)) return { ok: false, failure: 'timestamp' };
    if (header(req, 'ok-access-passphrase') !== account.passphrase) return { ok: false, failure: 'passphrase' };
    const path = req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`;
    const expected = hmac('sha256', account.secret, `${timestamp}${req.method}${path}${req.body}`, 'base64');
    return sameSignature(expected, header(req, 'ok-access-sign')) ? { ok: true, account } : { ok: false, failure: 'signature' };
  },
  error(kind: ErrorKind, detail?: string): SimReply {
    switch (kind) {
      case 'auth':
        return AUTH_ERRORS[(detail as AuthFailure | undefined) ?? 'key'] ?? AUTH_ERRORS.key;
      case 'invalid_nonce':
        return AUTH_ERRORS.timestamp;
      case 'permission':
        // 50120 | HTTP 200 | "This API key doesn't have permission to use this function" (https://www.okx.com/docs-v5/en/#error-code-rest-api).
        return json({ code: '50120', msg: "This API key doesn't have permission to use this function", data: [] });
      case 'rate_limit':
        return json({ code: '50011', msg: 'Too Many Requests', data: [] }, 429);
      case 'maintenance':
        return json({ code: '50001', msg: 'Service temporarily unavailable. Please try again later.', data: [] }, 503);
      case 'server_error':
        return text('Service Unavailable', 503);
      case 'malformed':
        return truncated({ code: '0', msg: '', data: [{ ccy: 'BTC', addr: 'bc1q', chain: 'BTC-Bitcoin', selected: true }] });
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return json({ code: '51000', msg: detail ?? 'Parameter error', data: [] }, 400);
    }
  },
};
