import pg from "pg";
import { DomainError } from "../errors.js";
import type { Logger } from "../logger.js";

/** A held advisory lock; release it when the work it guards ends. */
export interface AdvisoryLock {
  release(): Promise<void>;
}

const LOCK = "select pg_advisory_lock(hashtextextended($1, 0))";
const TRY_LOCK = "select pg_try_advisory_lock(hashtextextended($1, 0)) as ok";
const UNLOCK = "select pg_advisory_unlock(hashtextextended($1, 0)) as ok";

/**
 * Locks across every replica that are held while waiting on an exchange:
 * PostgreSQL session-level advisory locks, each held on a connection of a
 * pool of their own, never the ORM's — so a slow exchange holds nothing that
 * health and reads share. The connections are kept between locks, so taking
 * one costs a round trip, not a new PostgreSQL session. At most `maxHeld`
 * locks at once: more callers wait their turn here, at most `waitMs`, then
 * RESOURCE_EXHAUSTED (retry later). When the process dies, its sessions close
 * and their locks go with them.
 */
export class AdvisoryLocks {
  private readonly pool: pg.Pool;
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  /** The lock_timeout each pooled session has (set once, not per lock). */
  private readonly lockTimeouts = new WeakMap<pg.PoolClient, number>();

  constructor(
    databaseUrl: string,
    logger: Logger,
    private readonly maxHeld: number,
  ) {
    // Never more checked out than maxHeld (the turns below): its timeout is only connecting's.
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: maxHeld, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
    this.pool.on("error", (err) => logger.warn({ err }, "advisory lock connection lost"));
  }

  /** The lock of `key`, or undefined when someone holds it already. */
  tryAcquire(key: string, waitMs = 30_000): Promise<AdvisoryLock | undefined> {
    return this.withConnection(waitMs, async (client) => {
      const { rows } = await client.query<{ ok: boolean }>(TRY_LOCK, [key]);
      return rows[0]?.ok === true;
    }, key);
  }

  /** The lock of `key`, waiting at most `waitMs` for its holder (then ABORTED OPERATION_IN_PROGRESS: retry later). */
  async acquire(key: string, waitMs: number): Promise<AdvisoryLock> {
    const lock = await this.withConnection(waitMs, async (client) => {
      if (this.lockTimeouts.get(client) !== waitMs) {
        await client.query("select set_config('lock_timeout', $1, false)", [`${waitMs}ms`]);
        this.lockTimeouts.set(client, waitMs);
      }
      try {
        await client.query(LOCK, [key]);
      } catch (err) {
        if ((err as { code?: unknown }).code !== "55P03") throw err;
        throw new DomainError("aborted", "OPERATION_IN_PROGRESS", "the same operation is in progress in another call; retry shortly", { retryAfterMs: 2000 });
      }
      return true;
    }, key);
    return lock!;
  }

  /** Closes the pool's connections (their locks go with them). */
  close(): Promise<void> {
    return this.pool.end();
  }

  /** Takes a turn and a connection, runs `lock` on it, and answers the held lock, or undefined (turn and connection given back). */
  private async withConnection(waitMs: number, lock: (client: pg.PoolClient) => Promise<boolean>, key: string): Promise<AdvisoryLock | undefined> {
    await this.turn(waitMs);
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      if (await lock(client)) return this.heldOn(client, key);
      client.release();
    } catch (err) {
      client?.release(true);
      this.endTurn();
      throw err;
    }
    this.endTurn();
    return undefined;
  }

  private heldOn(client: pg.PoolClient, key: string): AdvisoryLock {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        // A connection whose unlock failed may still hold the lock: it is closed, not reused.
        const unlocked = await client.query<{ ok: boolean }>(UNLOCK, [key]).then((r) => r.rows[0]?.ok === true, () => false);
        client.release(!unlocked);
        this.endTurn();
      },
    };
  }

  private async turn(waitMs: number): Promise<void> {
    if (this.held < this.maxHeld) {
      this.held++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const next = () => {
        clearTimeout(timer);
        resolve(); // the ending turn is handed over: `held` stays
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(next), 1);
        reject(new DomainError("resource_exhausted", "TOO_MANY_OPERATIONS", "too many operations are waiting on exchanges; retry shortly", { retryAfterMs: 2000 }));
      }, waitMs);
      this.waiting.push(next);
    });
  }

  private endTurn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }
}
