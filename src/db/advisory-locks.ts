import pg from "pg";
import { DomainError } from "../errors.js";
import type { Logger } from "../logger.js";

/** A held advisory lock; release it when the work it guards ends. */
export interface AdvisoryLock {
  release(): Promise<void>;
}

/**
 * Locks across every replica that are held while waiting on an exchange:
 * PostgreSQL session-level advisory locks, each on a connection of its own,
 * never one of the ORM pool's — so a slow exchange holds nothing that health
 * and reads share. When the process dies, the connection closes and the lock
 * goes with it. At most `maxHeld` connections at once; more callers wait here.
 */
export class AdvisoryLocks {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
    private readonly maxHeld = 32,
  ) {}

  /** The lock of `key`, or undefined when someone holds it already. */
  tryAcquire(key: string): Promise<AdvisoryLock | undefined> {
    return this.lock(key, "select pg_try_advisory_lock(hashtextextended($1, 0)) as ok", undefined);
  }

  /** The lock of `key`, waiting at most `waitMs` for its holder (then ABORTED, retry later). */
  async acquire(key: string, waitMs: number): Promise<AdvisoryLock> {
    const lock = await this.lock(key, "select pg_advisory_lock(hashtextextended($1, 0)), true as ok", waitMs);
    return lock!;
  }

  private async lock(key: string, sql: string, waitMs: number | undefined): Promise<AdvisoryLock | undefined> {
    await this.slot();
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 3000, lock_timeout: waitMs });
    client.on("error", (err) => this.logger.warn({ err, lock: key }, "advisory lock connection lost"));
    const close = async () => {
      await client.end().catch(() => undefined); // closing the session frees the lock
      this.freeSlot();
    };
    try {
      await client.connect();
      const { rows } = await client.query<{ ok: boolean }>(sql, [key]);
      if (!rows[0]?.ok) {
        await close();
        return undefined;
      }
    } catch (err) {
      await close();
      if ((err as { code?: unknown }).code === "55P03") {
        throw new DomainError("aborted", "OPERATION_IN_PROGRESS", "the same operation is in progress in another call; retry shortly", { retryAfterMs: 2000 });
      }
      throw err;
    }
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        await close();
      },
    };
  }

  private async slot(): Promise<void> {
    if (this.held < this.maxHeld) {
      this.held++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over, the count stays
  }

  private freeSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }
}
