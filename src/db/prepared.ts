import type { EntityManager } from "@mikro-orm/postgresql";
import type pg from "pg";

/** A named statement: PostgreSQL parses and plans it once per connection, then only binds and runs it. */
export interface Statement {
  /** Unique per text: pg refuses one name with two texts. */
  readonly name: string;
  readonly text: string;
}

/** The part of knex's client that lends out its pool's pg connections. */
interface PooledClient {
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<unknown>;
}

/**
 * Runs a named prepared statement on a connection of the ORM's own pool
 * (min 1, max 20, 5 s to wait for one: orm.ts), so the hot reads and writes
 * share its bound and its outage errors (a full pool is KnexTimeoutError,
 * DATABASE_UNAVAILABLE) instead of opening more PostgreSQL sessions beside
 * it. knex sends no statement name, so every query of its own is parsed and
 * planned anew. The one place that reaches under MikroORM for the driver.
 */
export async function runPrepared(em: EntityManager, statement: Statement, values: readonly unknown[]): Promise<Record<string, unknown>[]> {
  const client = em.getConnection().getKnex().client as PooledClient;
  const connection = await client.acquireConnection();
  try {
    const result = await connection.query({ name: statement.name, text: statement.text, values: values as unknown[] });
    return result.rows as Record<string, unknown>[];
  } finally {
    await client.releaseConnection(connection);
  }
}
