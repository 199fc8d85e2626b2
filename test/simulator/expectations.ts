import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import type { ExchangeId, FaultKind } from './types.js';

/** A CCXT error class, compared by identity so a subclass does not pass for its parent. */
export type ErrorClass = new (...args: never[]) => Error;

/** What an unmodified CCXT 4.5.84 does against each simulated exchange (the contract the tests pin). */
export interface ExchangeExpectations {
  /** Path fragment of the call behind fetchBalance that faults are aimed at. */
  balancePath: string;
  /** Path fragment of the deposit-address call. */
  addressPath: string;
  passphrase: boolean;
  /** Coinbase can only create. */
  fetches: boolean;
  creates: boolean;
  /** `network` param to ask BTC with, and the network CCXT reports back (undefined: none). */
  btc: { param: string | undefined; network: string | undefined };
  /** Network CCXT reports for XRP (asked with `network: 'XRP'` where the exchange needs it). */
  xrpNetwork: string | undefined;
  /** Whether CCXT reports our unified code for every known chain (Kraken has no networks; Bitfinex names methods per coin). */
  mapsNetworks: boolean;
  /** What fetching a coin with no address (LTC) raises. */
  missing: ErrorClass;
  /** Error class of fetchBalance under each fault; `malformed` is handled apart (see tests). */
  faults: Record<Exclude<FaultKind, 'malformed' | 'reply'>, ErrorClass>;
  /** Error class of the deposit-address call when its response is truncated JSON. */
  malformedAddress: ErrorClass;
  /** The key-permission endpoint through CCXT's implicit API, where the exchange has one. */
  permissions?: PermissionProbe;
}

/** Calls a permission endpoint and reads the withdraw flag out of its answer. */
export interface PermissionProbe {
  call: (client: Exchange) => Promise<unknown>;
  canWithdraw: (answer: unknown) => boolean;
}

const common = {
  auth: ccxt.AuthenticationError,
  permission: ccxt.PermissionDenied,
  rate_limit: ccxt.RateLimitExceeded,
  maintenance: ccxt.OnMaintenance,
  server_error: ccxt.ExchangeNotAvailable,
  timeout: ccxt.RequestTimeout,
};

type Implicit = Record<string, (params?: Record<string, unknown>) => Promise<unknown>>;

type Json = Record<string, unknown>;

function implicit(name: string, canWithdraw: (answer: Json) => boolean, params: (client: Exchange) => Json = () => ({})): PermissionProbe {
  return {
    call: (client) => {
      const method = (client as unknown as Implicit)[name];
      if (method === undefined) throw new Error(`${client.id} has no ${name}`);
      return method.call(client, params(client));
    },
    canWithdraw: (answer) => canWithdraw(answer as Json),
  };
}

/** `data` / `result` / `data[0]` of an answer, for the envelopes the exchanges use. */
function pick(answer: Json, ...path: Array<string | number>): unknown {
  let value: unknown = answer;
  for (const key of path) value = (value as Record<string | number, unknown> | undefined)?.[key];
  return value;
}

/** Per exchange, keyed by our ids. */
export const EXPECTATIONS: Readonly<Record<ExchangeId, ExchangeExpectations>> = {
  binance: {
    balancePath: '/api/v3/account',
    addressPath: '/capital/deposit/address',
    passphrase: false,
    fetches: true,
    creates: false,
    btc: { param: 'BTC', network: 'BTC' },
    xrpNetwork: 'XRP',
    mapsNetworks: true,
    missing: ccxt.InvalidAddress,
    faults: { ...common, rate_limit: ccxt.DDoSProtection },
    malformedAddress: ccxt.InvalidAddress,
    permissions: implicit('sapiGetAccountApiRestrictions', (a) => a['enableWithdrawals'] === true),
  },
  coinbase: {
    balancePath: '/accounts',
    addressPath: '/addresses',
    passphrase: true,
    fetches: false,
    creates: true,
    btc: { param: undefined, network: undefined },
    xrpNetwork: undefined,
    mapsNetworks: true,
    missing: ccxt.NotSupported,
    faults: { ...common, permission: ccxt.ExchangeNotAvailable },
    malformedAddress: ccxt.InvalidAddress,
  },
  kraken: {
    balancePath: '/BalanceEx',
    addressPath: '/DepositAddresses',
    passphrase: false,
    fetches: true,
    creates: true,
    btc: { param: undefined, network: undefined },
    xrpNetwork: undefined,
    mapsNetworks: false,
    missing: ccxt.InvalidAddress,
    faults: { ...common, rate_limit: ccxt.DDoSProtection, maintenance: ccxt.ExchangeNotAvailable },
    malformedAddress: ccxt.InvalidAddress,
    permissions: implicit('privatePostGetApiKeyInfo', (a) => (pick(a, 'result', 'permissions') as string[]).includes('withdraw-funds')),
  },
  bitfinex: {
    balancePath: '/auth/r/wallets',
    addressPath: '/deposit/address',
    passphrase: false,
    fetches: true,
    creates: true,
    btc: { param: undefined, network: undefined },
    xrpNetwork: undefined,
    mapsNetworks: false,
    missing: ccxt.InvalidAddress,
    faults: common,
    malformedAddress: ccxt.InvalidAddress,
    permissions: implicit('privatePostAuthRPermissions', (a) => (a as unknown as unknown[][]).some((row) => row[0] === 'withdraw' && row[2] === 1)),
  },
  huobi: {
    balancePath: '/balance',
    addressPath: '/deposit/address',
    passphrase: false,
    fetches: true,
    creates: false,
    btc: { param: 'BTC', network: 'BTC' },
    xrpNetwork: 'XRP',
    mapsNetworks: true,
    missing: ccxt.NotSupported,
    faults: common,
    malformedAddress: ccxt.NotSupported,
    permissions: implicit('spotPrivateGetV2UserApiKey', (a) => String(pick(a, 'data', 0, 'permission')).split(',').includes('withdraw'), (client) => ({ accessKey: client.apiKey })),
  },
  kucoin: {
    balancePath: '/api/v1/accounts',
    addressPath: '/deposit-address',
    passphrase: true,
    fetches: true,
    creates: true,
    btc: { param: 'BTC', network: 'BTC' },
    xrpNetwork: 'XRP',
    mapsNetworks: true,
    missing: ccxt.ExchangeError,
    // CCXT reads KuCoin's 400007 "Access Denied" as a wrong key; the service reads it as a missing permission.
    faults: { ...common, maintenance: ccxt.ExchangeNotAvailable, permission: ccxt.AuthenticationError },
    malformedAddress: ccxt.ExchangeError,
    permissions: implicit('privateGetUserApiKey', (a) => String(pick(a, 'data', 'permission')).split(',').includes('Transfer')),
  },
  bybit: {
    balancePath: '/wallet-balance',
    addressPath: '/deposit/query-address',
    passphrase: false,
    fetches: true,
    creates: false,
    btc: { param: 'BRC20', network: 'BRC20' },
    xrpNetwork: 'XRP',
    mapsNetworks: true,
    missing: ccxt.NotSupported,
    faults: { ...common, maintenance: ccxt.ExchangeNotAvailable },
    malformedAddress: ccxt.ArgumentsRequired,
    permissions: implicit('privateGetV5UserQueryApi', (a) => (pick(a, 'result', 'permissions', 'Wallet') as string[]).includes('Withdraw')),
  },
  okx: {
    balancePath: '/account/balance',
    addressPath: '/deposit-address',
    passphrase: true,
    fetches: true,
    creates: false,
    btc: { param: 'BTC', network: 'BTC' },
    xrpNetwork: 'XRP',
    mapsNetworks: true,
    missing: ccxt.InvalidAddress,
    // CCXT does not know OKX's 50120 ("doesn't have permission"): a plain ExchangeError.
    faults: { ...common, permission: ccxt.ExchangeError },
    malformedAddress: ccxt.InvalidAddress,
    permissions: implicit('privateGetAccountConfig', (a) => String(pick(a, 'data', 0, 'perm')).split(',').includes('withdraw')),
  },
};
