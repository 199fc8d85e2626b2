import { createHash } from 'node:crypto';
import type { ListedCurrency } from './catalogue.js';
import { accountOf, json, SimError, text, truncated } from './dialect.js';
import type { AuthFailure, Dialect, ErrorKind, RouteContext, SimReply, Verdict } from './dialect.js';
import { depositAddress, listedCurrency } from './deposits.js';
import { canonicalChain, nativeChainId } from './networks.js';
import { Router } from './router.js';
import { base64Key, hmac, header, sameSignature, withinWindow } from './signing.js';

/** Coinbase wallet ids are UUIDs; derive them from the key and currency so they stay stable. */
function walletId(apiKey: string, code: string): string {
  const h = createHash('sha256').update(`${apiKey}|${code}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function currency(c: ListedCurrency): unknown {
  const networks = c.networks.map((n) => ({
    id: nativeChainId('coinbase', n.network),
    name: n.network,
    status: n.depositEnabled ? 'online' : 'offline',
    contract_address: '',
    crypto_address_link: 'https://explorer.example/address/{{address}}',
    crypto_transaction_link: 'https://explorer.example/tx/{{txId}}',
    min_withdrawal_amount: 0.0001,
    max_withdrawal_amount: 2400,
    network_confirmations: 12,
    processing_time_seconds: 600,
    destination_tag_regex: n.tagRequired ? '^[0-9]{1,10}$' : '',
  }));
  return {
    id: c.code,
    name: c.name,
    min_size: '0.00000001',
    status: 'online',
    message: '',
    max_precision: '0.00000001',
    convertible_to: [],
    details: { type: 'crypto', symbol: '', network_confirmations: 12, sort_order: 1, crypto_address_link: '', crypto_transaction_link: '', push_payment_methods: ['crypto'], min_withdrawal_amount: 0.0001, max_withdrawal_amount: 2400 },
    default_network: networks[0]?.id ?? '',
    supported_networks: networks,
  };
}

function product(base: string, quote: string): unknown {
  return { id: `${base}-${quote}`, base_currency: base, quote_currency: quote, quote_increment: '0.01', base_increment: '0.00000001', display_name: `${base}/${quote}`, min_market_funds: '1', margin_enabled: false, post_only: false, limit_only: false, cancel_only: false, status: 'online', status_message: '', trading_disabled: false, fx_stablecoin: false, auction_mode: false };
}

/** Coinbase makes a new address on every call; a `network` in the body (unified or native) picks the chain. */
function createAddress(ctx: RouteContext): SimReply {
  const account = accountOf(ctx);
  const code = account.currencies.map((c) => c.code).find((c) => walletId(account.apiKey, c) === ctx.pathParams['id']);
  if (code === undefined) throw new SimError('bad_request', 'Invalid account id');
  const listed = listedCurrency(ctx.catalogue, code);
  const body = JSON.parse(ctx.req.body === '' ? '{}' : ctx.req.body) as { network?: string };
  const wanted = body.network;
  const network = wanted === undefined
    ? listed.networks[0]
    : listed.networks.find((n) => nativeChainId('coinbase', n.network) === wanted || n.network === canonicalChain(wanted));
  if (network === undefined) throw new SimError('bad_request', `network ${wanted ?? ''} is not supported for ${code}`);
  const created = depositAddress(account, ctx.catalogue, code, network.network, true);
  if (created === undefined) throw new SimError('bad_request', 'address creation failed');
  const now = new Date().toISOString();
  return json({
    id: walletId(created.address, code),
    address: created.address,
    address_info: { address: created.address, ...(created.tag === undefined ? {} : { destination_tag: created.tag }) },
    name: 'New exchange deposit address',
    created_at: now,
    updated_at: now,
    network: nativeChainId('coinbase', network.network),
    resource: 'address',
    destination_tag: created.tag ?? null,
    exchange_deposit_address: true,
  });
}

const router = new Router()
  .on('GET', '/currencies', { signed: false, handle: (ctx) => json(ctx.catalogue.list().map(currency)) })
  .on('GET', '/products', { signed: false, handle: () => json([product('BTC', 'USD'), product('ETH', 'USD'), product('XRP', 'USD'), product('ETH', 'BTC'), product('USDT', 'USD')]) })
  .on('GET', '/accounts', {
    signed: true,
    handle: (ctx) => {
      const account = accountOf(ctx);
      return json(Object.entries(account.balances).map(([code, amount]) => ({ id: walletId(`${account.apiKey}|trading`, code), currency: code, balance: amount.toFixed(16), hold: '0.0000000000000000', available: amount.toFixed(16), profile_id: 'sim-profile', trading_enabled: true })));
    },
  })
  .on('GET', '/coinbase-accounts', {
    signed: true,
    handle: (ctx) => {
      const account = accountOf(ctx);
      return json(account.currencies.map((c) => ({ id: walletId(account.apiKey, c.code), name: `${c.code} Wallet`, balance: String(account.balances[c.code] ?? 0), currency: c.code, type: 'wallet', primary: false, active: true, available_on_consumer: true })));
    },
  })
  .on('POST', '/coinbase-accounts/:id/addresses', { signed: true, handle: createAddress });

const AUTH_ERRORS: Readonly<Record<AuthFailure, SimReply>> = {
  key: json({ message: 'Invalid API Key' }, 401),
  signature: json({ message: 'invalid signature' }, 401),
  passphrase: json({ message: 'Invalid Passphrase' }, 401),
  timestamp: json({ message: 'request timestamp expired' }, 400),
};

/**
 * Coinbase Exchange (ex-Pro): `CB-ACCESS-*` headers, seconds timestamp within 30 s, plain
 * passphrase, base64 HMAC-SHA256 keyed with the base64-decoded secret over
 * timestamp + method + path?query + body. CCXT maps most failures by HTTP status.
 */
export const coinbase: Dialect = {
  id: 'coinbase',
  claimedKey: (req) => header(req, 'cb-access-key'),
  match: (req) => router.match(req),
  verify(req, lookup): Verdict {
    const apiKey = header(req, 'cb-access-key');
    const account = apiKey === undefined ? undefined : lookup(apiKey);
    if (account === undefined) return { ok: false, failure: 'key' };
    const timestamp = header(req, 'cb-access-timestamp') ?? '';
    if (!withinWindow(Number(timestamp) * 1000, req.now, 30_000)) return { ok: false, failure: 'timestamp' };
    if (header(req, 'cb-access-passphrase') !== account.passphrase) return { ok: false, failure: 'passphrase' };
    const key = base64Key(account.secret);
    const path = req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`;
    const expected = key === undefined ? '' : hmac('sha256', key, `${timestamp}${req.method}${path}${req.body}`, 'base64');
    return key !== undefined && sameSignature(expected, header(req, 'cb-access-sign')) ? { ok: true, account } : { ok: false, failure: 'signature' };
  },
  error(kind: ErrorKind, detail?: string): SimReply {
    switch (kind) {
      case 'auth':
        return AUTH_ERRORS[(detail as AuthFailure | undefined) ?? 'key'] ?? AUTH_ERRORS.key;
      case 'invalid_nonce':
        return AUTH_ERRORS.timestamp;
      case 'permission':
        return json({ message: 'Forbidden' }, 403);
      case 'rate_limit':
        return json({ message: 'Private rate limit exceeded' }, 429);
      case 'maintenance':
        return json({ message: 'Coinbase Exchange is under maintenance' }, 400);
      case 'server_error':
        return text('Bad Gateway', 502);
      case 'malformed':
        return truncated({ address: 'bc1q', network: 'bitcoin', destination_tag: null });
      case 'not_found':
        return text(`simulator: no route for ${detail ?? ''}`, 404);
      case 'bad_request':
        return json({ message: detail ?? 'Invalid request' }, 400);
    }
  },
};
