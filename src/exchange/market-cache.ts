import type { Exchange } from "ccxt";

interface Entry {
  markets: Exchange["markets"];
  currencies: Exchange["currencies"];
  options: Record<string, unknown>;
  loadedAt: number;
  loading?: Promise<void>;
}

/**
 * Markets and currencies, loaded once per exchange (and sandbox) and shared
 * by every account's client: loading them costs an exchange 2 to 12
 * requests, which a sync must not pay per account. Refreshed in the
 * background when older than `ttlMs`; callers never wait for a refresh.
 */
export class MarketCache {
  private readonly entries = new Map<string, Entry>();
  /** The entry each client was last given. */
  private readonly applied = new WeakMap<Exchange, Entry>();

  constructor(private readonly ttlMs = 60 * 60_000) {}

  /**
   * Gives `exchange` the shared markets, loading them through it (its key,
   * its rate limit) when there are none. Older than the TTL, they are
   * refreshed in the background, or first when `fresh` (a sync's plan must
   * see currencies new on the exchange).
   */
  async apply(key: string, exchange: Exchange, fresh = false, sharedOptions: readonly string[] = []): Promise<void> {
    let entry = this.entries.get(key);
    if (!entry) {
      const loading = this.load(key, exchange, sharedOptions);
      entry = { markets: {} as Exchange["markets"], currencies: {} as Exchange["currencies"], options: {}, loadedAt: 0, loading };
      this.entries.set(key, entry);
    }
    if (entry.loadedAt === 0) {
      await entry.loading;
      entry = this.entries.get(key)!;
    } else if (Date.now() - entry.loadedAt > this.ttlMs) {
      entry.loading ??= this.load(key, exchange, sharedOptions).catch(() => undefined); // on failure, keep serving the old ones
      if (fresh) {
        await entry.loading;
        entry = this.entries.get(key)!;
      }
    }
    // setMarkets builds new market objects (a deepExtend of each market and currency: tens of ms
    // for a real exchange's thousands), so `exchange.markets` is never the entry's own: what each
    // client was given is remembered instead. ccxt's typings say setMarkets takes no currencies; its code does.
    if (this.applied.get(exchange) !== entry) {
      exchange.setMarkets(entry.markets, entry.currencies as never);
      Object.assign(exchange.options, entry.options);
      this.applied.set(exchange, entry);
    }
  }

  /** Forgets an exchange's markets (tests; a refresh that must not wait). */
  invalidate(key: string): void {
    this.entries.delete(key);
  }

  private async load(key: string, exchange: Exchange, sharedOptions: readonly string[]): Promise<void> {
    try {
      await exchange.loadMarkets(true);
      const options = Object.fromEntries(sharedOptions.filter((k) => k in exchange.options).map((k) => [k, exchange.options[k]]));
      this.entries.set(key, { markets: exchange.markets, currencies: exchange.currencies, options, loadedAt: Date.now() });
    } catch (err) {
      const entry = this.entries.get(key);
      if (entry?.loadedAt === 0) this.entries.delete(key); // the next caller tries again
      else if (entry) entry.loading = undefined;
      throw err;
    }
  }
}
