import type { SimAddress } from './account.js';
import type { Catalogue, ListedCurrency, ListedNetwork } from './catalogue.js';
import { accountOf, json, SimError, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, Verdict } from './dialect.js';
import { depositAddress } from './deposits.js';
import { canonicalChain } from './networks.js';
import { Router } from './router.js';
import { base64Key, hmac, header, sameSignature, sha256 } from './signing.js';

/** Kraken's legacy X/Z asset ids; CCXT maps them back through `altname` and commonCurrencies. */
const ASSET_IDS: Readonly<Record<string, { id: string; altname: string }>> = {
  BTC: { id: 'XXBT', altname: 'XBT' },
  ETH: { id: 'XETH', altname: 'ETH' },
  XRP: { id: 'XXRP', altname: 'XRP' },
  LTC: { id: 'XLTC', altname: 'LTC' },
  USD: { id: 'ZUSD', altname: 'USD' },
};

function assetId(code: string): string {
  return ASSET_IDS[code]?.id ?? code;
}

/** Deposit method names CCXT knows by default (`options.depositMethods`), per coin and chain. */
const METHODS: Readonly<Record<string, string>> = {
  'BTC|BTC': 'Bitcoin',
  'ETH|ERC20': 'Ether (Hex)',
  'LTC|LTC': 'Litecoin',
  'SOL|SOL': 'Solana',
  'XRP|XRP': 'Ripple XRP',
  'USDT|ERC20': 'Tether USD (ERC20)',
  'USDT|TRC20': 'Tether USD (TRC20)',
};

/**
 * The deposit method of a chain. Others are named `<CODE> (<CHAIN>)` so that CCXT, which picks
 * the method whose name contains the requested network, finds the right one.
 */
export function krakenMethod(code: string, chain: string): string {
  const canonical = canonicalChain(chain);
  return METHODS[`${code}|${canonical}`] ?? `${code} (${canonical})`;
}

function ok(result: unknown): SimReply {
  return json({ error: [], result });
}

function failure(...errors: string[]): SimReply {
  return json({ error: errors });
}

function currencyByAsset(catalogue: Catalogue, asset: string): ListedCurrency {
  const found = catalogue.list().find((c) => assetId(c.code) === asset);
  if (found === undefined) throw new SimError('bad_request', 'EQuery:Unknown asset');
  return found;
}

function networkByMethod(currency: ListedCurrency, method: string | null): ListedNetwork {
  const found = currency.networks.find((n) => krakenMethod(currency.code, n.network) === method);
  if (found === undefined) throw new SimError('bad_request', 'EFunding:No funding method');
  return found;
}

function pair(base: string, quote: string): [string, unknown] {
  const b = ASSET_IDS[base] ?? { id: base, altname: base };
  const q = ASSET_IDS[quote] ?? { id: quote, altname: quote };
  return [
    `${b.id}${q.id}`,
    { altname: `${b.altname}${q.altname}`, wsname: `${b.altname}/${q.altname}`, aclass_base: 'currency', base: b.id, aclass_quote: 'currency', quote: q.id, pair_decimals: 1, cost_decimals: 5, lot_decimals: 8, lot_multiplier: 1, leverage_buy: [2, 3], leverage_sell: [2, 3], fees: [[0, 0.4]], fees_maker: [[0, 0.25]], fee_volume_currency: 'ZUSD', margin_call: 80, margin_stop: 40, ordermin: '0.0001', costmin: '0.5', tick_size: '0.1', status: 'online' },
  ];
}

function addressEntry(a: SimAddress): unknown {
  return { address: a.address, ...(a.tag === undefined ? {} : { tag: a.tag }), expiretm: '0', new: a.created };
}

/** `new=true` makes a new address every time (as Kraken does); otherwise the existing ones, newest first. */
function depositAddresses(ctx: RouteContext): SimReply {
  const form = new URLSearchParams(ctx.req.body);
  const currency = currencyByAsset(ctx.catalogue, form.get('asset') ?? '');
  const network = networkByMethod(currency, form.get('method'));
  const account = accountOf(ctx);
  if (form.get('new') === 'true') {
    const created = depositAddress(account, ctx.catalogue, currency.code, network.network, true);
    return ok(created === undefined ? [] : [addressEntry(created)]);
  }
  const existing = account.addresses.filter((a) => a.currency === currency.code && a.network === network.network).reverse();
  return ok(existing.map(addressEntry));
}

const router = new Router()
  .on('GET', '/0/public/Assets', {
    signed: false,
    handle: (ctx) => {
      const result: Record<string, unknown> = { ZUSD: { aclass: 'currency', altname: 'USD', decimals: 4, display_decimals: 2, status: 'enabled' } };
      for (const c of ctx.catalogue.list()) {
        result[assetId(c.code)] = { aclass: 'currency', altname: ASSET_IDS[c.code]?.altname ?? c.code, decimals: 10, display_decimals: 5, collateral_value: 1, status: 'enabled' };
      }
      return ok(result);
    },
  })
  .on('GET', '/0/public/AssetPairs', { signed: false, handle: () => ok(Object.fromEntries([pair('BTC', 'USD'), pair('ETH', 'USD'), pair('XRP', 'USD'), pair('USDT', 'USD'), pair('ETH', 'BTC')])) })
  .on('POST', '/0/private/BalanceEx', {
    signed: true,
    handle: (ctx) => ok(Object.fromEntries(Object.entries(accountOf(ctx).balances).map(([code, amount]) => [assetId(code), { balance: amount.toFixed(10), hold_trade: '0.0000000000' }]))),
  })
  .on('POST', '/0/private/DepositMethods', {
    signed: true,
    handle: (ctx) => {
      const currency = currencyByAsset(ctx.catalogue, new URLSearchParams(ctx.req.body).get('asset') ?? '');
      return ok(currency.networks.filter((n) => n.depositEnabled).map((n) => ({ method: krakenMethod(currency.code, n.network), limit: false, fee: '0.0000000000', 'gen-address': true, minimum: '0.0001' })));
    },
  })
  .on('POST', '/0/private/DepositAddresses', { signed: true, handle: depositAddresses })
  // https://docs.kraken.com/api-reference/account-data/get-api-key-info: numbers as strings, validUntil "0" for none.
  .on('POST', '/0/private/GetApiKeyInfo', {
    signed: true,
    open: true,
    handle: (ctx) => {
      const { apiKey, permissions } = accountOf(ctx);
      const granted = [
        ...(permissions.read ? ['query-funds', 'query-open-trades'] : []),
        ...(permissions.withdraw ? ['withdraw-funds'] : []),
        ...(permissions.trade ? ['modify-trades'] : []),
      ];
      return ok({
        apiKeyName: 'simulator',
        apiKey,
        nonce: new URLSearchParams(ctx.req.body).get('nonce'),
        nonceWindow: 0,
        permissions: granted,
        iban: 'AA88 N84G WOAK NMOI',
        validUntil: String(Math.floor((permissions.expiresAt ?? 0) / 1000)),
        queryFrom: '0',
        queryTo: '0',
        createdTime: '1772542900',
        modifiedTime: '1772543095',
        ipAllowlist: permissions.ipAllowlist ?? [],
        lastUsed: String(Math.floor(Date.now() / 1000)),
      });
    },
  });

/** Nonces may arrive up to this far behind the highest one seen for the key (Kraken "nonce window"). */
const NONCE_WINDOW_MS = 10_000;
const highestNonce = new WeakMap<object, number>();

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: failure('EAPI:Invalid key'),
  signature: failure('EAPI:Invalid key'),
  passphrase: failure('EAPI:Invalid key'),
  timestamp: failure('EAPI:Invalid nonce'),
};

/**
 * Kraken spot REST: form body with `nonce`; `API-Sign` = base64 HMAC-SHA512 keyed with the
 * base64-decoded secret over path + SHA256(nonce + body). Nonces must not fall more than the
 * nonce window behind the highest seen. All errors are HTTP 200 `{"error":[…]}`.
 */
export const kraken: Dialect = {
  id: 'kraken',
  claimedKey: (req) => header(req, 'api-key'),
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = header(req, 'api-key');
    const account = apiKey === undefined ? undefined : lookup(apiKey);
    const key = account === undefined ? undefined : base64Key(account.secret);
    if (account === undefined || key === undefined) return { ok: false, failure: 'key' };
    const nonceText = new URLSearchParams(req.body).get('nonce') ?? '';
    const expected = hmac('sha512', key, Buffer.concat([Buffer.from(req.path), sha256(nonceText + req.body)]), 'base64');
    if (!sameSignature(expected, header(req, 'api-sign'))) return { ok: false, failure: 'signature' };
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
        return failure('EGeneral:Permission denied');
      case 'rate_limit':
        return failure('EAPI:Rate limit exceeded');
      case 'maintenance':
        return failure('EService:Unavailable');
      case 'server_error':
        return text('Bad Gateway', 502);
      case 'malformed':
        return truncated({ error: [], result: [{ address: 'bc1q', expiretm: '0' }] });
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return failure(detail?.startsWith('E') === true ? detail : 'EGeneral:Invalid arguments');
    }
  },
};
