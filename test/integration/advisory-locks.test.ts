import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdvisoryLocks } from '../../src/db/advisory-locks.js';
import { DomainError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { withPgClient } from '../support/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const count = () => withPgClient(db.url, async (pg) => Number((await pg.query("select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()")).rows[0].count));

/** The sessions on the database, once they are `expected` or a second has passed (a closed one leaves a moment after end()). */
async function sessions(expected: number): Promise<number> {
  let n = await count();
  for (let i = 0; i < 20 && n !== expected; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    n = await count();
  }
  return n;
}

describe('AdvisoryLocks', () => {
  it('holds a lock on a connection of its own across callers, waits for its holder, and gives up after the wait with ABORTED', async () => {
    const locks = new AdvisoryLocks(db.url, createLogger('silent'));
    const held = await locks.acquire('route:a', 1000);
    expect(await locks.tryAcquire('route:a')).toBeUndefined();
    expect(await sessions(1)).toBe(1);
    const started = Date.now();
    const err = await locks.acquire('route:a', 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'aborted', reason: 'OPERATION_IN_PROGRESS', retryAfterMs: 2000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const waiter = locks.acquire('route:a', 5000);
    setTimeout(() => void held.release(), 100);
    const next = await waiter;
    await next.release();
    expect(await sessions(0)).toBe(0);
  });

  it('holds at most maxHeld connections: more callers wait for a free one', async () => {
    const locks = new AdvisoryLocks(db.url, createLogger('silent'), 2);
    const [a, b] = await Promise.all([locks.acquire('k1', 1000), locks.acquire('k2', 1000)]);
    let third = false;
    const pending = locks.acquire('k3', 1000).then((l) => ((third = true), l));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(third).toBe(false);
    expect(await sessions(2)).toBe(2);
    await a.release();
    const c = await pending;
    expect(await sessions(2)).toBe(2);
    await Promise.all([b.release(), c.release(), c.release()]);
    expect(await sessions(0)).toBe(0);
  });
});
