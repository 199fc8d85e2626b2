import { randomUUID } from "node:crypto";
import { DomainError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { AddressSyncService } from "../sync/address-sync.service.js";
import type { JobMetrics } from "./job-metrics.js";
import { JOB_SCHEMA, type Job, type JobQueue } from "./job-queue.js";

/** What a queued sync covers: forced syncs may be either, periodic ones are incremental. */
export type QueuedSyncType = "full" | "incremental";

/** Who asked: an operator (ForceSync) or the periodic round. */
export type SyncTrigger = "force" | "periodic";

/** An account to sync, with the exchange whose queue takes it. */
export interface SyncTarget {
  readonly accountId: string;
  readonly exchangeId: string;
}

/** A job on the queue for an account; `alreadyQueued` when it was waiting there before the request. */
export interface QueuedSyncJob {
  readonly accountId: string;
  readonly jobId: string;
  readonly alreadyQueued: boolean;
}

interface SyncJobData {
  readonly accountId: string;
  readonly type: QueuedSyncType;
  readonly trigger: SyncTrigger;
}

/** The queue of an exchange's sync jobs: one per exchange, so each has its own worker cap. */
export function syncQueueOf(exchangeId: string): string {
  return `address-sync-${exchangeId}`;
}

/** Reasons that make a job pointless rather than failed: the account was deleted or deactivated after it was queued. */
const NOTHING_TO_DO = new Set(["EXCHANGE_ACCOUNT_NOT_FOUND", "ACCOUNT_INACTIVE"]);
const CHUNK = 500;

/**
 * Address syncs run through the job queue, so any replica runs them: one
 * queue per exchange with `workersPerExchange` workers on each replica (the
 * cap on concurrent syncs of an exchange per replica); at most one waiting
 * job per account; a sync that meets another of the same account
 * (SYNC_IN_PROGRESS, from any replica) is retried later with back-off.
 */
export class SyncJobs {
  constructor(
    private readonly queue: JobQueue,
    private readonly sync: AddressSyncService,
    private readonly metrics: JobMetrics,
    private readonly logger: Logger,
    private readonly exchangeIds: readonly string[],
    private readonly workersPerExchange: number,
  ) {}

  /** Defines the exchanges' queues and starts this replica's workers on them. */
  async start(): Promise<void> {
    for (const exchangeId of this.exchangeIds) {
      const name = syncQueueOf(exchangeId);
      // Retries wait ~2-4 s, then twice as long each time: about an hour and a half in all.
      await this.queue.defineQueue({ name, policy: "short", retryLimit: 12, retryDelaySeconds: 2, retryBackoff: true, expireInSeconds: 3600 });
      if (this.workersPerExchange > 0) await this.queue.work<SyncJobData>(name, this.workersPerExchange, (job) => this.run(exchangeId, job));
    }
  }

  /**
   * Queues a sync of each account, unless one is waiting already (then that
   * job is the answer, upgraded to FULL if this request is). `skipBusy` also
   * leaves out accounts whose job is running: the periodic round's choice.
   */
  async enqueue(targets: readonly SyncTarget[], type: QueuedSyncType, trigger: SyncTrigger, skipBusy = false): Promise<QueuedSyncJob[]> {
    const byExchange = new Map<string, string[]>();
    for (const t of targets) byExchange.set(t.exchangeId, [...(byExchange.get(t.exchangeId) ?? []), t.accountId]);
    const found = new Map<string, QueuedSyncJob>();
    for (const [exchangeId, ids] of byExchange) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        for (const job of await this.enqueueChunk(exchangeId, ids.slice(i, i + CHUNK), type, trigger, skipBusy)) found.set(job.accountId, job);
      }
      this.queue.notify(syncQueueOf(exchangeId));
    }
    return targets.flatMap((t) => found.get(t.accountId) ?? []);
  }

  private async enqueueChunk(exchangeId: string, ids: string[], type: QueuedSyncType, trigger: SyncTrigger, skipBusy: boolean): Promise<QueuedSyncJob[]> {
    const name = syncQueueOf(exchangeId);
    const out: QueuedSyncJob[] = [];
    let pending = ids;
    // A concurrent request may queue the same account between our look and our insert: look again, at most twice.
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 3) throw new Error(`could not queue sync jobs on ${name}: the queue kept changing`);
      const waiting = await this.waitingJobs(name, pending, skipBusy);
      if (type === "full") await this.upgradeToFull(name, waiting.filter((w) => w.type !== "full").map((w) => w.id));
      const fresh = pending.filter((id) => !waiting.some((w) => w.key === id)).map((accountId) => ({ accountId, jobId: randomUUID() }));
      for (const w of waiting) out.push({ accountId: w.key, jobId: w.id, alreadyQueued: true });
      await this.queue.insert(fresh.map((f) => ({ id: f.jobId, name, singletonKey: f.accountId, data: { accountId: f.accountId, type, trigger } satisfies SyncJobData })));
      const inserted = new Set(
        (await this.queue.query<{ id: string }>(`select id from ${JOB_SCHEMA}.job where name = $1 and id = any($2::uuid[])`, [name, fresh.map((f) => f.jobId)])).map((r) => r.id),
      );
      for (const f of fresh) if (inserted.has(f.jobId)) out.push({ ...f, alreadyQueued: false });
      pending = fresh.filter((f) => !inserted.has(f.jobId)).map((f) => f.accountId);
    }
    const added = out.filter((j) => !j.alreadyQueued).length;
    if (added > 0) this.metrics.enqueued.inc({ exchange: exchangeId, trigger, result: "queued" }, added);
    if (out.length > added) this.metrics.enqueued.inc({ exchange: exchangeId, trigger, result: "deduplicated" }, out.length - added);
    return out;
  }

  /** The accounts' jobs waiting on the queue (created, or retry after a failed attempt); with `busy`, running ones too. */
  private waitingJobs(name: string, accountIds: string[], busy: boolean) {
    // "state < 'active'" as a literal: pg-boss's partial index of waiting jobs (job_i5) serves it.
    return this.queue.query<{ id: string; key: string; type: string }>(
      `select distinct on (singleton_key) id, singleton_key as key, data->>'type' as type
         from ${JOB_SCHEMA}.job
        where name = $1 and singleton_key = any($2::text[]) and state ${busy ? "<=" : "<"} 'active'
        order by singleton_key, created_on`,
      [name, accountIds],
    );
  }

  private async upgradeToFull(name: string, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.queue.query(
      `update ${JOB_SCHEMA}.job set data = jsonb_set(data, '{type}', '"full"') where name = $1 and id = any($2::uuid[]) and state < 'active'`,
      [name, jobIds],
    );
  }

  /** One job: the sync, to its end. What it throws fails the job, which pg-boss retries. */
  private async run(exchangeId: string, job: Job<SyncJobData>): Promise<object> {
    const { accountId, type } = job.data;
    const context = { accountId, exchange: exchangeId, jobId: job.id, trigger: job.data.trigger, attempt: job.retryCount + 1 };
    try {
      const run = await (await this.sync.startForAccount(accountId, type)).done;
      this.metrics.finished.inc({ exchange: exchangeId, outcome: "completed" });
      return { runId: run.id, status: run.status };
    } catch (err) {
      if (err instanceof DomainError && NOTHING_TO_DO.has(err.reason)) {
        this.logger.info({ ...context, reason: err.reason }, "sync job skipped: the account is deleted or inactive");
        this.metrics.finished.inc({ exchange: exchangeId, outcome: "skipped" });
        return { skipped: err.reason };
      }
      const last = job.retryCount >= job.retryLimit;
      this.metrics.finished.inc({ exchange: exchangeId, outcome: last ? "failed" : "retry" });
      if (err instanceof DomainError && err.reason === "SYNC_IN_PROGRESS") {
        this.logger.info(context, last ? "sync job given up: the account's sync kept running" : "sync job postponed: a sync of the account is running");
      } else {
        this.logger[last ? "error" : "warn"]({ ...context, err }, last ? "sync job failed; no retries left" : "sync job failed; it will be retried");
      }
      // pg-boss keeps what a job threw in its table: only our reason and message, never a cause.
      throw new Error(err instanceof DomainError ? `${err.reason}: ${err.message}` : "the sync failed unexpectedly (see the service log)");
    }
  }
}
