import type { ExchangeId } from './types.js';

/**
 * CCXT names one chain several ways depending on the coin (ETH coin on "ETH", tokens on "ERC20";
 * TRX vs TRC20; Bybit's bitcoin chain is "BRC20" by id). The simulator stores one canonical code
 * per chain so that `ERC20` given for ETH and `ETH` given for ETH mean the same address.
 */
const ALIASES: Readonly<Record<string, string>> = {
  ETH: 'ERC20',
  TRX: 'TRC20',
  BRC20: 'BTC',
  BSC: 'BEP20',
};

/** The canonical chain for a unified network code (ETH -> ERC20, TRX -> TRC20, BRC20 -> BTC). */
export function canonicalChain(network: string): string {
  const upper = network.toUpperCase();
  return ALIASES[upper] ?? upper;
}

/** The coin whose own chain it is: CCXT reports `ETH`/`TRX` (not ERC20/TRC20) for those coins. */
const NATIVE_COIN: Readonly<Record<string, string>> = {
  BTC: 'BTC',
  ERC20: 'ETH',
  TRC20: 'TRX',
  BEP20: 'BNB',
  XRP: 'XRP',
  SOL: 'SOL',
  LTC: 'LTC',
};

/** The unified code CCXT returns for `chain` when the currency is `code` (ETH on ERC20 -> ETH). */
export function unifiedNetwork(chain: string, code: string): string {
  const canonical = canonicalChain(chain);
  if (canonical === 'ERC20' && code === 'ETH') return 'ETH';
  if (canonical === 'TRC20' && code === 'TRX') return 'TRX';
  return canonical;
}

/** True when `chain` is the coin's own chain (bitcoin for BTC), where ids carry no token prefix. */
export function isNativeChain(chain: string, code: string): boolean {
  return NATIVE_COIN[canonicalChain(chain)] === code;
}

/**
 * Native chain ids per exchange, keyed by canonical chain; each value is the id CCXT's
 * `options.networks` / `networksById` maps back to the same unified code (see the ccxt sources).
 * OKX prefixes the currency (`USDT-TRC20`) and HTX builds per-coin ids on top of these (see their
 * dialects); Kraken and Bitfinex name deposit methods per currency (see kraken.ts, bitfinex.ts).
 */
const NATIVE_IDS: Readonly<Record<ExchangeId, Readonly<Record<string, string>>>> = {
  binance: { BTC: 'BTC', ERC20: 'ETH', TRC20: 'TRX', BEP20: 'BSC', XRP: 'XRP', SOL: 'SOL', LTC: 'LTC' },
  bybit: { BTC: 'BTC', ERC20: 'ETH', TRC20: 'TRX', BEP20: 'BSC', XRP: 'XRP', SOL: 'SOL', LTC: 'LTC' },
  okx: { BTC: 'Bitcoin', ERC20: 'ERC20', TRC20: 'TRC20', BEP20: 'BSC', XRP: 'Ripple', SOL: 'Solana', LTC: 'Litecoin' },
  kucoin: { BTC: 'btc', ERC20: 'eth', TRC20: 'trx', BEP20: 'bsc', XRP: 'xrp', SOL: 'sol', LTC: 'ltc' },
  huobi: { BTC: 'BTC', ERC20: 'ETH', TRC20: 'TRX', BEP20: 'BSC', XRP: 'XRP', SOL: 'SOLANA', LTC: 'LTC' },
  coinbase: { BTC: 'bitcoin', ERC20: 'ethereum', XRP: 'ripple', SOL: 'solana', LTC: 'litecoin' },
  bitfinex: {},
  kraken: {},
};

/**
 * The exchange's own id for a chain. A chain the exchange's CCXT table does not know passes
 * through as its unified code, which CCXT then reports unchanged (TRC20 on Coinbase).
 */
export function nativeChainId(exchange: ExchangeId, chain: string): string {
  const canonical = canonicalChain(chain);
  return NATIVE_IDS[exchange][canonical] ?? canonical;
}

/** The chains the simulator knows by name, for docs and the round-trip test. */
export const KNOWN_CHAINS: readonly string[] = ['BTC', 'ERC20', 'TRC20', 'BEP20', 'XRP', 'SOL', 'LTC'];
