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

const one = (sql: string) => withPgClient(db.url, async (pg) => Number((await pg.query(sql)).rows[0].n));
const heldLocks = () => one("select count(*) as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and l.granted and d.datname = current_database()");
const sessions = () => one('select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');

describe('AdvisoryLocks', () => {
  it('holds a lock across callers, waits for its holder, and gives up after the wait with ABORTED', async () => {
    const locks = new AdvisoryLocks(db.url, createLogger('silent'), 4);
    try {
      const held = await locks.acquire('route:a', 1000);
      expect(await locks.tryAcquire('route:a')).toBeUndefined();
      expect(await heldLocks()).toBe(1);
      const started = Date.now();
      const err = await locks.acquire('route:a', 300).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ kind: 'aborted', reason: 'OPERATION_IN_PROGRESS', retryAfterMs: 2000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      const waiter = locks.acquire('route:a', 5000);
      setTimeout(() => void held.release(), 100);
      const next = await waiter;
      await next.release();
      await next.release(); // twice is once
      expect(await heldLocks()).toBe(0);
      const again = await locks.tryAcquire('route:a');
      expect(again).toBeDefined();
      await again!.release();
    } finally {
      await locks.close();
    }
  });

  it('holds at most maxHeld locks on as many connections, reused from lock to lock; more callers wait their turn, for a while', async () => {
    const locks = new AdvisoryLocks(db.url, createLogger('silent'), 2);
    try {
      const [a, b] = await Promise.all([locks.acquire('k1', 1000), locks.acquire('k2', 1000)]);
      let third = false;
      const pending = locks.acquire('k3', 1000).then((l) => ((third = true), l));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(third).toBe(false);
      expect(await sessions()).toBe(2);
      expect(await locks.acquire('k4', 150).catch((e: unknown) => e)).toMatchObject({ kind: 'resource_exhausted', reason: 'TOO_MANY_OPERATIONS' });
      await a.release();
      const c = await pending;
      expect(await heldLocks()).toBe(2);
      await Promise.all([b.release(), c.release()]);
      for (let i = 0; i < 5; i++) await (await locks.acquire(`k${i}`, 1000)).release();
      expect(await sessions()).toBe(2);
      expect(await heldLocks()).toBe(0);
    } finally {
      await locks.close();
    }
  });
});
