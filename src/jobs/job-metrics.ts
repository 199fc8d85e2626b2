import { Counter, type Registry } from "prom-client";

/** Sync-job metrics on the service's registry: what was queued, and how each job this replica ran ended. */
export class JobMetrics {
  /** Jobs queued, by exchange and trigger (force, periodic); a request met by an already waiting job counts as "deduplicated". */
  readonly enqueued: Counter<"exchange" | "trigger" | "result">;
  /** Jobs this replica ran, by outcome: completed, skipped (account gone or inactive), retry, failed (retries used up). */
  readonly finished: Counter<"exchange" | "outcome">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.enqueued = new Counter({
      name: "wallet_sync_jobs_enqueued_total",
      help: "Sync jobs put on the job queue, by trigger; result is queued or deduplicated",
      labelNames: ["exchange", "trigger", "result"],
      registers,
    });
    this.finished = new Counter({
      name: "wallet_sync_jobs_finished_total",
      help: "Sync jobs run by this replica, by outcome (completed, skipped, retry, failed)",
      labelNames: ["exchange", "outcome"],
      registers,
    });
  }
}
