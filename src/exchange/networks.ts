/**
 * One name per chain. CCXT names a chain differently per exchange and per
 * coin (ETH vs ERC20, TRX vs TRC20, BSC vs BEP20, Bybit's BTC is "BRC20",
 * Bitfinex prefixes unknown chains with the coin: "USDTBEP20"); what we store
 * and answer is always the canonical code, so a user never sees two names for
 * one chain.
 */
const ALIASES: Readonly<Record<string, string>> = {
  ETH: "ERC20",
  ETHEREUM: "ERC20",
  TRX: "TRC20",
  TRON: "TRC20",
  BSC: "BEP20",
  BNBSMARTCHAIN: "BEP20",
  BRC20: "BTC",
  BITCOIN: "BTC",
  SOLANA: "SOL",
  RIPPLE: "XRP",
  LITECOIN: "LTC",
  MATIC: "POLYGON",
  ARBITRUM: "ARB",
  ARBONE: "ARB",
  OPTIMISM: "OP",
};

/** Chains whose deposits need a tag or memo besides the (shared) address. */
const TAG_NETWORKS = new Set(["XRP", "XLM", "EOS", "ATOM", "HBAR", "TON", "BNB", "IOST", "KAVA", "STX", "XEM", "ALGO", "LUNA", "OSMO", "INJ", "CRO", "THETA", "ICX"]);

/** The canonical code of a CCXT network code as reported for `currency`. */
export function canonicalNetwork(ccxtNetwork: string, currency: string): string {
  const code = ccxtNetwork.toUpperCase().replace(/[\s_-]/g, "");
  if (ALIASES[code]) return ALIASES[code];
  const prefix = currency.toUpperCase();
  if (code.length > prefix.length && code.startsWith(prefix)) {
    const chain = code.slice(prefix.length); // Bitfinex's "USDTBEP20"
    return ALIASES[chain] ?? chain;
  }
  return code;
}

/**
 * The canonical network of a Kraken deposit method ("Tether USD (TRC20)",
 * "Ether (Hex)", "Bitcoin", "Ripple XRP"): Kraken names methods, not chains.
 */
export function krakenMethodNetwork(method: string, currency: string): string {
  const inParens = /\(([^)]+)\)/.exec(method)?.[1];
  if (inParens && inParens.toUpperCase() !== "HEX") return canonicalNetwork(inParens, currency);
  const words = method.toUpperCase().replace(/\(.*\)/, "").trim().split(/\s+/);
  for (const word of [...words].reverse()) {
    const canonical = ALIASES[word] ?? (TAG_NETWORKS.has(word) || word === currency.toUpperCase() ? word : undefined);
    if (canonical) return canonical;
  }
  return ALIASES[currency.toUpperCase()] ?? currency.toUpperCase();
}

/** Whether deposits on `network` need a tag, from what we know of chains or the exchange's own flag. */
export function needsTag(network: string, exchangeFlag?: boolean): boolean {
  return exchangeFlag === true || TAG_NETWORKS.has(network);
}
