import type { EntityManager } from "@mikro-orm/postgresql";
import type { Registry } from "prom-client";
import type { Logger } from "../logger.js";
import type { AddressSyncService } from "../sync/address-sync.service.js";
import { JobMetrics } from "./job-metrics.js";
import { JobQueue } from "./job-queue.js";
import { PeriodicSync } from "./periodic-sync.js";
import { SyncJobs } from "./sync-jobs.js";

export interface BackgroundJobsOptions {
  readonly databaseUrl: string;
  readonly em: EntityManager;
  readonly sync: AddressSyncService;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly exchangeIds: readonly string[];
  readonly workersPerExchange: number;
  /** Unset: no periodic sync. */
  readonly syncIntervalMs?: number;
}

/**
 * Everything the service runs off the request path, on the shared job
 * queue: sync jobs (forced or periodic) and the periodic round. Built with
 * the app, started after migrations, stopped before the database closes.
 */
export class BackgroundJobs {
  readonly syncJobs: SyncJobs;
  private readonly queue: JobQueue;
  private readonly periodic?: PeriodicSync;

  constructor(options: BackgroundJobsOptions) {
    const logger = options.logger.child({ component: "jobs" });
    this.queue = new JobQueue(options.databaseUrl, logger);
    this.syncJobs = new SyncJobs(this.queue, options.sync, new JobMetrics(options.registry), logger, options.exchangeIds, options.workersPerExchange);
    if (options.syncIntervalMs) this.periodic = new PeriodicSync(this.queue, this.syncJobs, options.em, logger, options.syncIntervalMs);
  }

  async start(): Promise<void> {
    await this.queue.start();
    await this.syncJobs.start();
    await this.periodic?.start();
  }

  /** Stops the periodic timer and the workers; running jobs get `graceMs` to finish. */
  async stop(graceMs: number): Promise<void> {
    this.periodic?.stop();
    await this.queue.stop(graceMs);
  }
}
