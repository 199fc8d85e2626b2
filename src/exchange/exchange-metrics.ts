import { Counter, Histogram, type Registry } from "prom-client";

/** Metrics of the exchange layer, by exchange: calls, errors, latency, rate-limit waits and incidents. */
export class ExchangeMetrics {
  readonly requests: Counter<"exchange">;
  readonly calls: Counter<"exchange" | "operation" | "outcome">;
  readonly duration: Histogram<"exchange" | "operation">;
  readonly errors: Counter<"exchange" | "reason">;
  readonly retries: Counter<"exchange" | "reason">;
  readonly rateLimitWait: Histogram<"exchange">;
  readonly rateLimited: Counter<"exchange">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: "wallet_exchange_requests_total", help: "HTTP requests sent to exchanges", labelNames: ["exchange"], registers });
    this.calls = new Counter({ name: "wallet_exchange_calls_total", help: "Exchange operations by outcome (ok or error reason)", labelNames: ["exchange", "operation", "outcome"], registers });
    this.duration = new Histogram({
      name: "wallet_exchange_call_duration_seconds",
      help: "Exchange operation latency, retries and rate-limit waits included",
      labelNames: ["exchange", "operation"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.errors = new Counter({ name: "wallet_exchange_errors_total", help: "Failed exchange operations by reason", labelNames: ["exchange", "reason"], registers });
    this.retries = new Counter({ name: "wallet_exchange_retries_total", help: "Retried exchange operations by reason", labelNames: ["exchange", "reason"], registers });
    this.rateLimitWait = new Histogram({
      name: "wallet_exchange_rate_limit_wait_seconds",
      help: "Time requests waited for their turn under the rate limits",
      labelNames: ["exchange"],
      buckets: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.rateLimited = new Counter({ name: "wallet_exchange_rate_limited_total", help: "Rate-limit answers from exchanges", labelNames: ["exchange"], registers });
  }
}
