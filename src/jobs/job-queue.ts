import PgBoss from "pg-boss";
import { type Logger, redactSecrets } from "../logger.js";

/** pg-boss's schema: its own tables, beside ours in the same database. */
export const JOB_SCHEMA = "pgboss";

/** A queue and the retry and expiry rules its jobs get. */
export interface QueueSpec {
  readonly name: string;
  /** "short": at most one waiting (created) job per singleton key. */
  readonly policy: "standard" | "short";
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  readonly retryBackoff: boolean;
  /** A job running longer is failed (and retried): our handlers must end well before. */
  readonly expireInSeconds: number;
}

/** A job as a handler sees it, with the retry counts that tell a last attempt. */
export type Job<T> = PgBoss.JobWithMetadata<T>;

/** How often idle workers look for jobs another replica queued (ours wake them at once). */
const POLL_SECONDS = 2;

/**
 * The PostgreSQL-backed job queue (pg-boss), behind the few calls the service
 * makes: queues, workers, sends and its own SQL. Every replica on the same
 * database shares the queues. pg-boss never writes to stdout itself; its
 * error events come here and go to our logger, at most once per message a
 * minute, with the database password blanked.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly workerIds = new Map<string, string[]>();
  private readonly lastLogged = new Map<string, number>();
  private readonly password: string;
  private started = false;

  constructor(
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.password = decodeURIComponent(new URL(databaseUrl).password);
    this.boss = new PgBoss({
      connectionString: databaseUrl,
      schema: JOB_SCHEMA,
      application_name: "wallet-jobs",
      max: 4,
      schedule: false, // no cron: the periodic sync is our own timer, throttled on the queue
      supervise: true, // expiry of stuck jobs, archiving
      // Finished jobs move to the archive table soon, so the job table, which enqueuing searches, stays small.
      archiveCompletedAfterSeconds: 3600,
      archiveFailedAfterSeconds: 86_400,
      migrate: true,
    });
    this.boss.on("error", (err) => this.logError(err));
  }

  /** Creates pg-boss's schema (or migrates it) and starts its maintenance. */
  async start(): Promise<void> {
    await this.boss.start();
    this.started = true;
  }

  /** Creates the queue, or brings an existing one's rules up to date. */
  async defineQueue(spec: QueueSpec): Promise<void> {
    const options: PgBoss.Queue = {
      name: spec.name,
      policy: spec.policy,
      retryLimit: spec.retryLimit,
      retryDelay: spec.retryDelaySeconds,
      retryBackoff: spec.retryBackoff,
      expireInSeconds: spec.expireInSeconds,
    };
    await this.boss.createQueue(spec.name, options);
    await this.boss.updateQueue(spec.name, options);
  }

  /**
   * Runs `count` workers on the queue, each one job at a time: so this
   * replica never runs more than `count` of the queue's jobs at once. A
   * handler that throws fails the job, which pg-boss retries per the queue's rules.
   */
  async work<T extends object>(name: string, count: number, handler: (job: Job<T>) => Promise<object>): Promise<void> {
    const ids = this.workerIds.get(name) ?? [];
    for (let i = 0; i < count; i++) {
      const options = { batchSize: 1, includeMetadata: true as const, pollingIntervalSeconds: POLL_SECONDS };
      ids.push(await this.boss.work<T>(name, options, async ([job]) => (job ? handler(job) : {})));
    }
    this.workerIds.set(name, ids);
  }

  /** Wakes this replica's idle workers of the queue: a job was just queued. */
  notify(name: string): void {
    for (const id of this.workerIds.get(name) ?? []) this.boss.notifyWorker(id);
  }

  /** Queues a job unless one was queued in the same `seconds` slot of the database clock (any replica); null then. */
  sendThrottled(name: string, data: object, seconds: number, key: string): Promise<string | null> {
    return this.boss.sendThrottled(name, data, {}, seconds, key);
  }

  /** Queues jobs in one statement; those whose singleton key has a waiting job already are dropped silently. */
  async insert(jobs: PgBoss.JobInsert[]): Promise<void> {
    if (jobs.length > 0) await this.boss.insert(jobs);
  }

  /** Runs SQL on pg-boss's pool; the schema's tables are `${JOB_SCHEMA}.job` and so on. */
  async query<R>(text: string, values: unknown[]): Promise<R[]> {
    return (await this.boss.getDb().executeSql(text, values)).rows as R[];
  }

  /**
   * Stops fetching, lets running jobs finish for up to `graceMs` (those that
   * do not are failed and so retried later, by whichever replica), and closes the pool.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, close: true, timeout: Math.max(1000, graceMs) });
  }

  private logError(err: unknown): void {
    const e = (err ?? {}) as { message?: unknown; queue?: unknown; code?: unknown };
    const message = redactSecrets(String(e.message ?? err), [this.password]);
    const key = message.replace(/\(Queue: .*\)$/, "");
    const now = Date.now();
    if (now - (this.lastLogged.get(key) ?? 0) < 60_000) return;
    this.lastLogged.set(key, now);
    this.logger.warn({ component: "jobs", queue: typeof e.queue === "string" ? e.queue : undefined, code: typeof e.code === "string" ? e.code : undefined, error: message }, "job queue error");
  }
}
