import pg from "pg";
import type { Logger } from "../logger.js";

/** A held sync lock; release it when the run ends. */
export interface SyncLock {
  release(): Promise<void>;
}

/**
 * One sync per account at a time, across every replica: a PostgreSQL
 * advisory lock, held on a connection of its own for as long as the run
 * lasts. When the process dies, the connection closes and the lock goes with
 * it, so a crashed run never blocks the next.
 */
export class SyncLocks {
  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** The account's lock, or undefined when a sync of it runs somewhere already. */
  async tryAcquire(accountId: string): Promise<SyncLock | undefined> {
    const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 3000 });
    client.on("error", (err) => this.logger.warn({ err, accountId }, "sync lock connection lost"));
    await client.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtextextended($1, 0)) as ok", [`sync:${accountId}`]);
      if (!rows[0]?.ok) {
        await client.end();
        return undefined;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        await client.end().catch(() => undefined); // closing the session frees the lock
      },
    };
  }
}
