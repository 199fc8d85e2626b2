import { createHash } from "node:crypto";
import type { Registry } from "prom-client";
import type { ExchangeLimitOverrides } from "../config.js";
import type { ExchangeCatalogue } from "../exchanges/exchange-catalogue.js";
import { capabilitiesOf } from "./capabilities.js";
import { CcxtExchangeClient } from "./ccxt-exchange-client.js";
import { exchangeClass } from "./ccxt-modules.js";
import type { ClientAccount, Credentials, ExchangeClient } from "./exchange-client.js";
import { ExchangeMetrics } from "./exchange-metrics.js";
import { PROFILES } from "./exchange-profiles.js";
import { MarketCache } from "./market-cache.js";
import { type ExchangeLimits, ExchangeRateLimiter, perMinute } from "./rate-limiter.js";
import type { RetryPolicy } from "./retry.js";
import { applyUrlOverride } from "./url-override.js";

const USER_AGENT = "wallet-service/0.1 (copy-trading platform)";

export interface ExchangeClientsOptions {
  readonly catalogue: ExchangeCatalogue;
  readonly registry: Registry;
  readonly urlOverrides: Readonly<Partial<Record<string, string>>>;
  readonly limitOverrides?: ExchangeLimitOverrides;
  readonly timeoutMs?: number;
  readonly maxClients?: number;
  readonly idleMs?: number;
  readonly retry?: RetryPolicy;
  /** How long shared markets and currencies are used before a refresh. */
  readonly marketsTtlMs?: number;
}

interface Entry {
  readonly fingerprint: string;
  readonly client: Promise<ExchangeClient>;
  lastUsed: number;
}

/**
 * One CCXT client per exchange account, built from its decrypted credentials
 * and kept: bounded in number, evicted when idle, and rebuilt at once when
 * the account's stored credentials or sandbox mode change (the cache key
 * holds their fingerprint, so this holds across replicas too). All clients
 * share the rate limiter, the market cache and the metrics.
 */
export class ExchangeClients {
  readonly limiter: ExchangeRateLimiter;
  readonly metrics: ExchangeMetrics;
  private readonly markets: MarketCache;
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: ExchangeClientsOptions) {
    this.metrics = new ExchangeMetrics(options.registry);
    this.markets = new MarketCache(options.marketsTtlMs);
    this.limiter = new ExchangeRateLimiter((exchangeId) => this.limitsOf(exchangeId));
    this.sweeper = setInterval(() => this.evictIdle(), 60_000);
    this.sweeper.unref();
  }

  /** The account's client; `credentials` is only called (a Vault round trip) when a client must be built. */
  clientFor(account: ClientAccount, credentials: () => Promise<Credentials>): Promise<ExchangeClient> {
    const fingerprint = fingerprintOf(account);
    const cached = this.entries.get(account.id);
    if (cached?.fingerprint === fingerprint) {
      cached.lastUsed = Date.now();
      this.entries.delete(account.id); // re-insert: Map order is our LRU order
      this.entries.set(account.id, cached);
      return cached.client;
    }
    const client = credentials().then((c) => this.build(account, c));
    const entry: Entry = { fingerprint, client, lastUsed: Date.now() };
    client.catch(() => this.entries.get(account.id) === entry && this.entries.delete(account.id));
    this.entries.delete(account.id);
    this.entries.set(account.id, entry);
    while (this.entries.size > (this.options.maxClients ?? 1000)) this.entries.delete(this.entries.keys().next().value!);
    return client;
  }

  /** Drops an account's client now (its credentials changed, or it was deleted). */
  forget(accountId: string): void {
    this.entries.delete(accountId);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The limits the service keeps to on an exchange: the catalogue's per-key budget, or the configured overrides. */
  limitsOf(exchangeId: string): ExchangeLimits {
    const overrides = this.options.limitOverrides?.[exchangeId] ?? {};
    const perAccount = overrides.perAccount ?? perMinute(this.options.catalogue.get(exchangeId)?.rateLimitPerMinute ?? 60);
    return {
      perAccount,
      perUser: overrides.perUser ?? perAccount,
      perExchange: overrides.perExchange ?? { requests: perAccount.requests * 5, intervalMs: perAccount.intervalMs },
    };
  }

  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private async build(account: ClientAccount, credentials: Credentials): Promise<ExchangeClient> {
    const row = this.options.catalogue.require(account.exchangeId, "exchange_id");
    const exchange = new (await exchangeClass(row.ccxtId))({
      apiKey: credentials.apiKey,
      secret: credentials.apiSecret,
      password: credentials.passphrase,
      timeout: this.options.timeoutMs ?? 10_000,
      userAgent: USER_AGENT,
      options: PROFILES[account.exchangeId]?.options ?? {},
    });
    if (account.sandboxMode) exchange.setSandboxMode(true);
    const override = this.options.urlOverrides[account.exchangeId];
    if (override) applyUrlOverride(exchange, override);
    return new CcxtExchangeClient(
      exchange,
      account.exchangeId,
      await capabilitiesOf(row),
      { exchangeId: account.exchangeId, userId: account.userId, accountId: account.id },
      `${account.exchangeId}:${account.sandboxMode ? "sandbox" : "live"}`,
      [credentials.apiKey, credentials.apiSecret, credentials.passphrase],
      { limiter: this.limiter, metrics: this.metrics, markets: this.markets, retry: this.options.retry },
    );
  }

  private evictIdle(): void {
    const cutoff = Date.now() - (this.options.idleMs ?? 15 * 60_000);
    for (const [id, entry] of this.entries) if (entry.lastUsed < cutoff) this.entries.delete(id);
  }
}

function fingerprintOf(account: ClientAccount): string {
  return createHash("sha256")
    .update([account.apiKeyEncrypted, account.apiSecretEncrypted, account.apiPassphraseEncrypted ?? "", account.sandboxMode].join("\n"))
    .digest("base64url");
}
