import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "../logger.js";
import type { JobQueue } from "./job-queue.js";
import type { SyncJobs } from "./sync-jobs.js";

/** The queue of the periodic rounds: one job per interval, whichever replica queues it. */
export const PERIODIC_SYNC_QUEUE = "address-sync-periodic";

/**
 * The periodic background sync. Every replica's timer fires in the middle of
 * each interval-long slot of the clock and queues that slot's round with a
 * pg-boss throttle key, so only the first replica's round is queued (the slot
 * is the database's clock: replicas' clocks may differ by up to half an
 * interval). One worker runs the round: it queues an INCREMENTAL sync of every
 * active account not synced in the last half interval — so an account synced
 * by one round is due in the next, and one a user just synced waits a round —
 * on its exchange's queue, leaving out accounts with a job waiting or running.
 */
export class PeriodicSync {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly jobs: SyncJobs,
    private readonly em: EntityManager,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    await this.queue.defineQueue({ name: PERIODIC_SYNC_QUEUE, policy: "standard", retryLimit: 0, retryDelaySeconds: 0, retryBackoff: false, expireInSeconds: 600 });
    await this.queue.work(PERIODIC_SYNC_QUEUE, 1, () => this.round());
    this.arm();
    this.logger.info({ intervalMs: this.intervalMs }, "periodic sync of stale accounts on");
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Queues an INCREMENTAL sync of each due account; answers how many were due and how many jobs were added. */
  async round(): Promise<{ due: number; queued: number }> {
    const due = await this.em.fork().execute<{ id: string; exchange_id: string }[]>(
      `select id, exchange_id from exchange_accounts
        where deleted_at is null and is_active and (last_sync_at is null or last_sync_at < now() - ? * interval '1 millisecond')
        order by last_sync_at asc nulls first`,
      [this.intervalMs / 2],
    );
    const jobs = await this.jobs.enqueue(
      due.map((row) => ({ accountId: row.id, exchangeId: row.exchange_id })),
      "incremental",
      "periodic",
      true,
    );
    const queued = jobs.filter((j) => !j.alreadyQueued).length;
    if (due.length > 0) this.logger.info({ due: due.length, queued }, "periodic sync: stale accounts queued");
    return { due: due.length, queued };
  }

  private arm(): void {
    if (this.stopped) return;
    const now = Date.now();
    let next = Math.floor(now / this.intervalMs) * this.intervalMs + this.intervalMs / 2;
    if (next <= now) next += this.intervalMs;
    this.timer = setTimeout(() => {
      void this.tick();
      this.arm();
    }, next - now);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const id = await this.queue.sendThrottled(PERIODIC_SYNC_QUEUE, {}, Math.round(this.intervalMs / 1000), "round");
      if (id) this.queue.notify(PERIODIC_SYNC_QUEUE);
    } catch (err) {
      this.logger.warn({ err }, "periodic sync: could not queue the round");
    }
  }
}
