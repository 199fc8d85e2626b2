import { performance } from "node:perf_hooks";
import type { Exchange } from "ccxt";
import { ccxtErrors } from "./ccxt-modules.js";
import { DomainError } from "../errors.js";
import type { ExchangeCapabilities } from "./exchange-client.js";
import type { CurrencyInfo, ExchangeAddress, ExchangeClient, KeyPermissionsInfo, NetworkInfo } from "./exchange-client.js";
import { toDomainError, isRetriable } from "./exchange-errors.js";
import type { ExchangeMetrics } from "./exchange-metrics.js";
import { isNoAddress, PROFILES, type ExchangeProfile } from "./exchange-profiles.js";
import { keyPermissionsReader } from "./key-permissions.js";
import type { MarketCache } from "./market-cache.js";
import { canonicalNetwork, krakenMethodNetwork, needsTag } from "./networks.js";
import type { CallKeys, ExchangeRateLimiter } from "./rate-limiter.js";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.js";

/** What a client shares with the others of the process. */
export interface ClientContext {
  readonly limiter: ExchangeRateLimiter;
  readonly metrics: ExchangeMetrics;
  readonly markets: MarketCache;
  readonly retry?: RetryPolicy;
}

type Json = Record<string, unknown>;

/**
 * ExchangeClient over one CCXT instance (one account's key). Every HTTP
 * request CCXT makes passes our rate limiter (its `fetch`, wrapped); every
 * answer is checked for Retry-After and malformed bodies (its
 * `onRestResponse` hook); every operation is retried when that can help and
 * fails with a domain error.
 */
export class CcxtExchangeClient implements ExchangeClient {
  private readonly profile: ExchangeProfile;
  private readonly depositMethods = new Map<string, Promise<NetworkInfo[]>>();

  constructor(
    private readonly exchange: Exchange,
    readonly exchangeId: string,
    readonly capabilities: ExchangeCapabilities,
    private readonly keys: CallKeys,
    private readonly marketsKey: string,
    private readonly secrets: readonly (string | undefined)[],
    private readonly ctx: ClientContext,
  ) {
    this.profile = PROFILES[exchangeId]!;
    this.hook();
  }

  async testConnection(): Promise<{ latencyMs: number; permissions: KeyPermissionsInfo }> {
    const reader = keyPermissionsReader(this.exchangeId);
    if (!reader) await this.withMarkets("connection-test-markets");
    return this.run("test-connection", {}, async () => {
      const started = performance.now();
      const permissions = reader ? await reader(this.exchange) : await this.balanceProbe();
      return { latencyMs: Math.round(performance.now() - started), permissions };
    });
  }

  async currencies(options: { fresh?: boolean } = {}): Promise<CurrencyInfo[]> {
    await this.withMarkets("load-markets", options.fresh);
    // Kraken lists networks only per asset (deposit methods): they come with currency(code).
    return Object.values(this.exchange.currencies).map((c) => this.currencyInfo(c as unknown as Json));
  }

  async currency(code: string): Promise<CurrencyInfo | undefined> {
    await this.withMarkets("load-markets");
    const raw = this.exchange.currencies[code] as unknown as Json | undefined;
    if (!raw) return undefined;
    const methods = this.profile.fetch === "kraken-method" ? await this.krakenMethods(code) : undefined;
    return this.currencyInfo(raw, methods);
  }

  async fetchAddresses(currency: CurrencyInfo, networks: readonly NetworkInfo[]): Promise<Map<string, ExchangeAddress | null>> {
    await this.withMarkets("load-markets");
    const code = currency.code;
    const found = new Map<string, ExchangeAddress | null>();
    switch (this.profile.fetch) {
      case "none":
        throw new DomainError("failed_precondition", "EXCHANGE_NOT_SUPPORTED", `${this.exchangeId} cannot read an existing deposit address; it can only create one`, {
          metadata: { exchange: this.exchangeId, currency: code },
        });
      case "by-network": {
        const all = await this.run("fetch-deposit-addresses", { currency: code }, () =>
          this.orNone(() => this.exchange.fetchDepositAddressesByNetwork(code)),
        );
        const byNetwork = new Map<string, Json>();
        for (const [key, entry] of Object.entries((all ?? {}) as unknown as Record<string, Json>)) byNetwork.set(canonicalNetwork(key, code), entry);
        for (const n of networks) found.set(n.network, this.toAddress(byNetwork.get(n.network), code, n));
        return found;
      }
      default:
        for (const n of networks) {
          const params = this.profile.fetch === "kraken-method" ? { method: n.depositMethod } : { network: n.ccxtNetwork };
          const raw = await this.run("fetch-deposit-address", { currency: code, network: n.network }, () =>
            this.orNone(() => this.exchange.fetchDepositAddress(code, params)),
          );
          found.set(n.network, this.toAddress(raw as Json | undefined, code, n));
        }
        return found;
    }
  }

  async createAddress(currency: CurrencyInfo, network: NetworkInfo): Promise<ExchangeAddress> {
    await this.withMarkets("load-markets");
    const params = this.profile.fetch === "kraken-method" ? { method: network.depositMethod } : { network: network.ccxtNetwork };
    const raw = await this.run("create-deposit-address", { currency: currency.code, network: network.network }, () =>
      this.exchange.createDepositAddress(currency.code, params),
    );
    const address = this.toAddress(raw as unknown as Json, currency.code, network);
    if (!address) {
      throw new DomainError("unavailable", "EXCHANGE_API_ERROR", `${this.exchangeId} answered the creation without an address`, {
        metadata: { exchange: this.exchangeId, currency: currency.code, network: network.network },
        retryAfterMs: 5000,
      });
    }
    return address;
  }

  /** Runs one exchange operation: retries, metrics, error translation. */
  private async run<T>(operation: string, where: { currency?: string; network?: string }, fn: () => Promise<T>): Promise<T> {
    const { metrics } = this.ctx;
    const exchange = this.exchangeId;
    const started = performance.now();
    try {
      const result = await withRetry(fn, {
        policy: this.ctx.retry ?? DEFAULT_RETRY,
        retriable: isRetriable,
        minDelayMs: () => this.ctx.limiter.penaltyRemainingMs(this.keys),
        onRetry: (err) => metrics.retries.inc({ exchange, reason: this.translate(err, where).reason }),
      });
      metrics.calls.inc({ exchange, operation, outcome: "ok" });
      return result;
    } catch (err) {
      const domain = this.translate(err, where);
      metrics.calls.inc({ exchange, operation, outcome: domain.reason });
      metrics.errors.inc({ exchange, reason: domain.reason });
      throw domain;
    } finally {
      metrics.duration.observe({ exchange, operation }, (performance.now() - started) / 1000);
    }
  }

  private translate(err: unknown, where: { currency?: string; network?: string }): DomainError {
    const retryAfterMs = this.ctx.limiter.penaltyRemainingMs(this.keys) || undefined;
    return toDomainError(err, { exchangeId: this.exchangeId, ...where, secrets: this.secrets, retryAfterMs });
  }

  private withMarkets(operation: string, fresh = false): Promise<void> {
    return this.run(operation, {}, () => this.ctx.markets.apply(this.marketsKey, this.exchange, fresh, this.profile.marketOptions));
  }

  /** Runs a fetch whose "no address here" answer is an error, turning that one into undefined. */
  private async orNone<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (isNoAddress(err)) return undefined;
      throw err;
    }
  }

  /** Exchanges without a permission endpoint: a balance read proves the key works, and reading is all it proves. */
  private async balanceProbe(): Promise<KeyPermissionsInfo> {
    await this.exchange.fetchBalance();
    return { read: true, trade: false, withdraw: false, reported: false, ipAllowlist: [] };
  }

  private currencyInfo(raw: Json, methods?: NetworkInfo[]): CurrencyInfo {
    const code = String(raw.code);
    const networks =
      methods ??
      Object.entries((raw.networks ?? {}) as Record<string, Json>).map(([key, n]) => {
        const info = (n.info ?? {}) as Json;
        const flag = info.sameAddress === true || info.needTag === true || info.addrWithTag === true;
        const network = canonicalNetwork(key, code);
        return {
          network,
          exchangeNetworkId: String(n.id ?? key),
          ccxtNetwork: key,
          depositEnabled: n.deposit !== false,
          tagRequired: needsTag(network, flag),
        };
      });
    // No networks listed (Kraken, before its deposit methods are read): the currency's own flag decides.
    // Fiat money has no deposit address.
    const depositEnabled = raw.type !== "fiat" && raw.deposit !== false && (networks.length === 0 || networks.some((n) => n.depositEnabled));
    return { code, name: String(raw.name ?? code), depositEnabled, networks };
  }

  /** Kraken names deposit methods per asset; they are the networks. Loaded once per asset and client. */
  private krakenMethods(code: string): Promise<NetworkInfo[]> {
    let methods = this.depositMethods.get(code);
    if (!methods) {
      methods = this.run("fetch-deposit-methods", { currency: code }, () => this.exchange.fetchDepositMethods(code)).then((list) =>
        (list as unknown as Json[]).map((m) => {
          const method = String(m.method);
          const network = krakenMethodNetwork(method, code);
          return { network, exchangeNetworkId: method, depositMethod: method, depositEnabled: true, tagRequired: needsTag(network) };
        }),
      );
      methods.catch(() => this.depositMethods.delete(code));
      this.depositMethods.set(code, methods);
    }
    return methods;
  }

  /** A CCXT address answer as ours, or null when it holds no address. Refuses an address on another network than asked. */
  private toAddress(raw: Json | undefined, currency: string, network: NetworkInfo): ExchangeAddress | null {
    const address = typeof raw?.address === "string" ? raw.address.trim() : "";
    if (!raw || !address) return null;
    const reported = typeof raw.network === "string" && raw.network ? canonicalNetwork(raw.network, currency) : undefined;
    if (reported && reported !== network.network) {
      throw new DomainError("unavailable", "EXCHANGE_API_ERROR", `${this.exchangeId} answered a ${reported} address when asked for ${network.network}`, {
        metadata: { exchange: this.exchangeId, currency, network: network.network },
        retryAfterMs: 5000,
      });
    }
    const tag = typeof raw.tag === "string" && raw.tag.trim() ? raw.tag.trim() : undefined;
    return { currency, network: network.network, address, tag, raw: rawObject(raw.info) };
  }

  /** Routes CCXT's requests through our limiter and checks its answers. */
  private hook(): void {
    const ex = this.exchange;
    const { limiter, metrics } = this.ctx;
    const exchange = this.exchangeId;
    // Every HTTP request, answer included, holds a place in our limiter (CCXT's own throttle is off).
    ex.enableRateLimit = false;
    const fetch = ex.fetch.bind(ex);
    ex.fetch = async (...args: Parameters<Exchange["fetch"]>) => {
      const { waitedMs, release } = await limiter.acquire(this.keys);
      metrics.rateLimitWait.observe({ exchange }, waitedMs / 1000);
      metrics.requests.inc({ exchange });
      try {
        return await fetch(...args);
      } finally {
        release();
      }
    };
    const onRestResponse = ex.onRestResponse.bind(ex);
    ex.onRestResponse = (status: number, statusText: string, url: string, method: string, headers: Json, body: string, ...rest: unknown[]) => {
      const retryAfterMs = parseRetryAfter(headers["Retry-After"] ?? headers["retry-after"]);
      if (status === 429 || status === 418 || (retryAfterMs !== undefined && status >= 400)) {
        metrics.rateLimited.inc({ exchange });
        limiter.penalize(this.keys, Date.now() + (retryAfterMs ?? 1000));
      }
      const json = parseJson(body);
      const misread = this.profile.misread?.(status, json, ex);
      if (misread) throw misread;
      if (status >= 200 && status < 300 && json === undefined) {
        throw new ccxtErrors.BadResponse(`${exchange} answered a body that is not JSON`);
      }
      return (onRestResponse as (...args: unknown[]) => string)(status, statusText, url, method, headers, body, ...rest);
    };
  }
}

/** The exchange's raw answer as a JSON object (Bitfinex answers arrays), undefined values dropped. */
function rawObject(info: unknown): Record<string, unknown> {
  const json: unknown = JSON.parse(JSON.stringify(info ?? {}));
  return typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : { response: json };
}

function parseRetryAfter(value: unknown): number | undefined {
  if (typeof value !== "string" || !value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The body as JSON; undefined when it is not JSON. */
function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
