import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { withPgClient } from './pg.js';
import './provided-context.js';

/** A database of its own for one test file; the whole cluster is thrown away after the run. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database (random name) on the run's cluster, so test files stay isolated. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `test_${randomBytes(8).toString('hex')}`;
  await withPgClient(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE: a pool the test forgot to close must not keep the database alive.
    drop: () => withPgClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
