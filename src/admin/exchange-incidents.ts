import type { ExchangeMetrics } from "../exchange/exchange-metrics.js";

/** One exchange's trouble as this replica counted it since it started. */
export interface ExchangeIncidents {
  errors: number;
  rateLimitedAnswers: number;
  rateLimitWaits: number;
}

/**
 * Reads the exchange layer's Prometheus counters of this replica: the only
 * record of exchange errors and rate-limit trouble (not stored per call).
 * Waits are requests our limiter held back at all (the histogram's count
 * less its 0-second bucket).
 */
export async function exchangeIncidents(metrics: ExchangeMetrics): Promise<Map<string, ExchangeIncidents>> {
  const out = new Map<string, ExchangeIncidents>();
  const of = (exchange: unknown) => {
    const key = String(exchange);
    const entry = out.get(key) ?? { errors: 0, rateLimitedAnswers: 0, rateLimitWaits: 0 };
    out.set(key, entry);
    return entry;
  };
  for (const v of (await metrics.errors.get()).values) of(v.labels.exchange).errors += v.value;
  for (const v of (await metrics.rateLimited.get()).values) of(v.labels.exchange).rateLimitedAnswers += v.value;
  for (const v of (await metrics.rateLimitWait.get()).values) {
    if (v.metricName?.endsWith("_count")) of(v.labels.exchange).rateLimitWaits += v.value;
    else if (v.metricName?.endsWith("_bucket") && Number((v.labels as Record<string, unknown>).le) === 0) of(v.labels.exchange).rateLimitWaits -= v.value;
  }
  return out;
}
