import pg from 'pg';

/** The part of node-postgres's Client the tests use. */
export type PgClient = Pick<pg.Client, 'query'>;

/** Runs `work` on a fresh connection to `url` and always closes it, so no test leaks sockets. */
export async function withPgClient<T>(url: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
