import { Counter, Histogram, type Registry } from "prom-client";

/** Sync metrics on the service's registry: runs by outcome, durations, items by outcome. */
export class SyncMetrics {
  readonly runs: Counter<"exchange" | "type" | "status">;
  readonly duration: Histogram<"exchange" | "type">;
  readonly items: Counter<"exchange" | "outcome">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs = new Counter({ name: "wallet_sync_runs_total", help: "Finished address syncs by status", labelNames: ["exchange", "type", "status"], registers });
    this.duration = new Histogram({
      name: "wallet_sync_duration_seconds",
      help: "Address sync durations",
      labelNames: ["exchange", "type"],
      buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    this.items = new Counter({ name: "wallet_sync_items_total", help: "Currency/network pairs synced, by outcome", labelNames: ["exchange", "outcome"], registers });
  }
}
