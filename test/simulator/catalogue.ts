import { defaultCurrencies } from './currencies.js';
import { canonicalChain } from './networks.js';
import type { SimCurrency } from './types.js';

/** One chain of a listed currency, as the public currency endpoints describe it. */
export interface ListedNetwork {
  /** Canonical chain code, see `canonicalChain`. */
  network: string;
  depositEnabled: boolean;
  tagRequired: boolean;
}

/** A currency the exchange lists, whoever holds it. */
export interface ListedCurrency {
  code: string;
  name: string;
  networks: ListedNetwork[];
}

/**
 * The exchange-wide currency list behind loadMarkets: the default set plus every currency an
 * account was given, so an account's generated coins are also known to CCXT's currency table.
 */
export class Catalogue {
  private readonly byCode = new Map<string, ListedCurrency>();

  constructor() {
    this.merge(defaultCurrencies('catalogue'));
  }

  /** Adds currencies and chains not listed yet; flags of chains already listed win. */
  merge(currencies: readonly SimCurrency[]): void {
    for (const currency of currencies) {
      let listed = this.byCode.get(currency.code);
      if (listed === undefined) {
        listed = { code: currency.code, name: currency.name ?? currency.code, networks: [] };
        this.byCode.set(currency.code, listed);
      }
      for (const net of currency.networks) {
        const chain = canonicalChain(net.network);
        if (listed.networks.some((n) => n.network === chain)) continue;
        listed.networks.push({
          network: chain,
          depositEnabled: net.depositEnabled ?? true,
          tagRequired: net.tagRequired ?? false,
        });
      }
    }
  }

  /** Every listed currency, in insertion order. */
  list(): ListedCurrency[] {
    return [...this.byCode.values()];
  }

  /** A listed currency by unified code. */
  get(code: string): ListedCurrency | undefined {
    return this.byCode.get(code);
  }

  /** A listed chain of a currency, by any alias of its unified network code. */
  network(code: string, network: string): ListedNetwork | undefined {
    const chain = canonicalChain(network);
    return this.byCode.get(code)?.networks.find((n) => n.network === chain);
  }
}
