import { ccxtErrors } from "./ccxt-modules.js";

/** How the service reads deposit addresses on an exchange. */
export type FetchStyle =
  /** One call answers every network of a currency (fetchDepositAddressesByNetwork). */
  | "by-network"
  /** One call per network, naming it with CCXT's network code. */
  | "per-network"
  /** One call per Kraken deposit method. */
  | "kraken-method"
  /** No way to read an existing address (Coinbase Exchange can only create). */
  | "none";

/** What differs between exchanges behind the one ExchangeClient interface. */
export interface ExchangeProfile {
  readonly fetch: FetchStyle;
  /** CCXT options: load spot markets only (we need currencies, not derivatives). */
  readonly options: Record<string, unknown>;
  /**
   * Options CCXT fills while loading markets and needs later (HTX's network
   * names): shared with the markets. Options it fills per key (KuCoin's "hf",
   * Coinbase's account list) are not.
   */
  readonly marketOptions?: readonly string[];
}

/** The profiles, by our exchange id; facts from ccxt 4.5.84 (see shared/docs/exchanges-ccxt.md). */
export const PROFILES: Readonly<Record<string, ExchangeProfile>> = {
  binance: { fetch: "per-network", options: { fetchMarkets: { types: ["spot"] }, fetchMargins: false }, marketOptions: ["crossMarginPairsData", "isolatedMarginPairsData"] },
  coinbase: { fetch: "none", options: {} },
  kraken: { fetch: "kraken-method", options: {}, marketOptions: ["marketsByAltname"] },
  bitfinex: { fetch: "per-network", options: {} },
  huobi: {
    fetch: "by-network",
    options: { fetchMarkets: { types: { spot: true, linear: false, inverse: false } } },
    marketOptions: ["networkNamesByChainIds", "networkChainIdsByNames", "futureMarketIdsForSymbols"],
  },
  kucoin: { fetch: "by-network", options: { fetchMarkets: { types: ["spot"], fetchTickersFees: false } } },
  bybit: { fetch: "by-network", options: { fetchMarkets: { types: ["spot"] } } },
  okx: { fetch: "by-network", options: { fetchMarkets: { types: ["spot"] } } },
};

/**
 * Whether an error means "this currency/network has no address yet" rather
 * than a failure. Each exchange says it its own way through CCXT: an address
 * CCXT finds undefined, an empty answer, no network in the list.
 */
export function isNoAddress(err: unknown): boolean {
  if (err instanceof ccxtErrors.AddressPending) return false;
  if (err instanceof ccxtErrors.InvalidAddress) return true; // binance, kraken, bitfinex, okx
  const message = err instanceof Error ? err.message : "";
  if (err instanceof ccxtErrors.NotSupported) return /no networks were returned|network was not found/.test(message); // htx, bybit
  if (err instanceof ccxtErrors.ExchangeError) return /returned an empty response/.test(message); // kucoin: data null
  return err instanceof TypeError && /reading 'address'/.test(message); // okx: no entry at all
}
