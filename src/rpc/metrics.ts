import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/**
 * The service's Prometheus metrics, on a registry of their own (not the
 * process-global one) so that several app instances can live in one test
 * process. Served at GET /metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly rpcCalls = new Counter({
    name: "wallet_rpc_calls_total",
    help: "RPC calls by method and gRPC code",
    labelNames: ["method", "code"] as const,
    registers: [this.registry],
  });
  readonly rpcDuration = new Histogram({
    name: "wallet_rpc_duration_seconds",
    help: "RPC latency by method and gRPC code",
    labelNames: ["method", "code"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
