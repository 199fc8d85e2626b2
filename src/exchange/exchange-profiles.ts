import type { Exchange } from "ccxt";
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
  /**
   * Error answers CCXT 4.5.84 reads wrongly, as the error it should raise:
   * a permanent key problem mapped to a class that would be retried, or an
   * error body handed back as data. `json` is undefined for a body that is
   * not JSON. Runs on every answer, before CCXT's own error handling.
   */
  readonly misread?: (status: number, json: unknown, exchange: Exchange) => Error | undefined;
}

/** The profiles, by our exchange id; facts from ccxt 4.5.84 (see shared/docs/exchanges-ccxt.md). */
export const PROFILES: Readonly<Record<string, ExchangeProfile>> = {
  binance: { fetch: "per-network", options: { fetchMarkets: { types: ["spot"] }, fetchMargins: false }, marketOptions: ["crossMarginPairsData", "isolatedMarginPairsData"] },
  coinbase: {
    fetch: "none",
    options: {},
    // "403 Forbidden -- You do not have access to the requested resource" (https://docs.cdp.coinbase.com/exchange/rest-api/requests);
    // CCXT's status table makes it ExchangeNotAvailable, which would be retried.
    misread: (status) => (status === 403 ? new ccxtErrors.PermissionDenied("coinbase 403 Forbidden: the API key lacks a permission this call needs") : undefined),
  },
  kraken: { fetch: "kraken-method", options: {}, marketOptions: ["marketsByAltname"] },
  bitfinex: {
    fetch: "per-network",
    options: {},
    // Errors are ["error", CODE, TEXT] (https://docs.bitfinex.com/docs/abbreviations-glossary); CCXT reads them only with
    // HTTP 500 (and 429), and hands any other such array back as the answer.
    misread: (status, json, ex) => {
      if (!Array.isArray(json) || json[0] !== "error" || status === 500 || status === 429) return undefined;
      return new (ex.exceptions.exact?.[String(json[1])] ?? ccxtErrors.ExchangeError)(`bitfinex ${JSON.stringify(json).slice(0, 200)}`);
    },
  },
  huobi: {
    fetch: "by-network",
    options: { fetchMarkets: { types: { spot: true, linear: false, inverse: false } } },
    marketOptions: ["networkNamesByChainIds", "networkChainIdsByNames", "futureMarketIdsForSymbols"],
    // v2 answers carry {"code": 200} on success; CCXT throws only for the codes of its own table and hands any other
    // error body back as the answer — such as 1002 "forbidden" (https://huobiapi.github.io/docs/spot/v1/en/, error codes of
    // the v2 user endpoints).
    misread: (_status, json, ex) => {
      const code = codeOf(json);
      if (code === undefined || code === "200" || ex.exceptions.exact?.[code]) return undefined;
      if (code === "1002") return new ccxtErrors.PermissionDenied(`htx ${JSON.stringify(json).slice(0, 200)}`);
      return new ccxtErrors.ExchangeError(`htx ${JSON.stringify(json).slice(0, 200)}`);
    },
  },
  kucoin: {
    fetch: "by-network",
    options: { fetchMarkets: { types: ["spot"], fetchTickersFees: false } },
    // "400007 Access Denied" (KuCoin's system error codes, https://github.com/Kucoin/kucoin-api-docs, source/localizable/index.html.md):
    // a permission the key lacks, which CCXT raises as AuthenticationError (a wrong key, to the user).
    misread: (_status, json) => (codeOf(json) === "400007" ? new ccxtErrors.PermissionDenied(`kucoin ${JSON.stringify(json).slice(0, 200)}`) : undefined),
  },
  bybit: { fetch: "by-network", options: { fetchMarkets: { types: ["spot"] } } },
  okx: {
    fetch: "by-network",
    options: { fetchMarkets: { types: ["spot"] } },
    // 50120 "This API key doesn't have permission to use this function", 50030 "You don't have permission to use this
    // API endpoint", 50035 "This endpoint requires that APIKey must be bound to IP" (https://www.okx.com/docs-v5/en/#error-code-rest-api):
    // CCXT knows none of them and raises a plain ExchangeError.
    misread: (_status, json) => {
      const code = codeOf(json);
      return code === "50120" || code === "50030" || code === "50035" ? new ccxtErrors.PermissionDenied(`okx ${JSON.stringify(json).slice(0, 200)}`) : undefined;
    },
  },
};

/** The `code` of a JSON object answer, as a string; undefined when it has none. */
function codeOf(json: unknown): string | undefined {
  const code = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as { code?: unknown }).code : undefined;
  return typeof code === "string" || typeof code === "number" ? String(code) : undefined;
}

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

