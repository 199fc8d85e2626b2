/** Our exchange ids, the keys of the simulator (CCXT ids are an integration detail). */
export type ExchangeId = 'binance' | 'coinbase' | 'kraken' | 'bitfinex' | 'huobi' | 'kucoin' | 'bybit' | 'okx';

/** Every simulated exchange, in port order: `portBase + index` is its port. */
export const EXCHANGE_IDS: readonly ExchangeId[] = [
  'binance',
  'coinbase',
  'kraken',
  'bitfinex',
  'huobi',
  'kucoin',
  'bybit',
  'okx',
];

/** The CCXT class each simulator speaks to, so tests build the right client. */
export const CCXT_IDS: Readonly<Record<ExchangeId, string>> = {
  binance: 'binance',
  coinbase: 'coinbaseexchange',
  kraken: 'kraken',
  bitfinex: 'bitfinex',
  huobi: 'htx',
  kucoin: 'kucoin',
  bybit: 'bybit',
  okx: 'okx',
};

/** One chain a currency can be deposited on; `network` is a CCXT unified code such as TRC20. */
export interface SimNetwork {
  network: string;
  depositEnabled?: boolean;
  tagRequired?: boolean;
  /** Absent: the account has no address on this chain until one is created. */
  address?: string;
  tag?: string;
}

/** A currency as an account sees it: its chains and any deposit addresses already there. */
export interface SimCurrency {
  code: string;
  name?: string;
  networks: SimNetwork[];
}

/** What an API key may do; the permission endpoints report it and `read: false` blocks calls. */
export interface SimPermissions {
  read: boolean;
  trade: boolean;
  withdraw: boolean;
  /** The IP addresses the key is bound to; absent or empty: none. */
  ipAllowlist?: string[];
  /** When the key expires (ms since the epoch); absent: never. */
  expiresAt?: number;
}

/** Input of `addAccount`: credentials in the exchange's own format plus optional state. */
export interface SimAccountInit {
  apiKey: string;
  secret: string;
  passphrase?: string;
  permissions?: SimPermissions;
  currencies?: SimCurrency[];
  /** The exchange user the key belongs to (HTX lists every key of a UID); default: one per key. */
  uid?: number;
}

/** Failures a test can inject; each is answered in the exchange's own error dialect. */
export type FaultKind =
  | 'auth'
  | 'permission'
  | 'rate_limit'
  | 'maintenance'
  | 'server_error'
  | 'timeout'
  | 'malformed'
  /** Answers `FaultSpec.reply` as it is: shapes nobody promised (empty payloads, HTML pages, odd types). */
  | 'reply';

/** A fault for the next `count` matching calls, or for `durationMs`, or (neither) until cleared. */
export interface FaultSpec {
  kind: FaultKind;
  /** For kind 'reply': the status and body to answer (JSON when `body` is not a string). */
  reply?: { status: number; body: unknown };
  count?: number;
  durationMs?: number;
  pathIncludes?: string;
}

/** At most `requests` per sliding `intervalMs`, counted per API key (default) or per client IP. */
export interface RateLimitSpec {
  requests: number;
  intervalMs: number;
  scope?: 'key' | 'ip';
}

/** One request as the simulator saw and answered it. */
export interface RequestLogEntry {
  time: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Raw request body, when there was one (form or JSON; never a secret). */
  body?: string;
  apiKey?: string;
  signed: boolean;
  signatureValid?: boolean;
  status: number;
  fault?: FaultKind;
  rateLimited?: boolean;
  /** Milliseconds from the request's arrival to its answer: the injected latency plus the simulator's own work. */
  tookMs?: number;
}
