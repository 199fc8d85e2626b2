import { MikroORM } from "@mikro-orm/postgresql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/support/database.js";
import { SupportedExchangeSchema } from "../exchanges/supported-exchange.entity.js";
import { DatabaseUnavailableError, databaseErrorOf } from "./database-errors.js";
import { ormConfig } from "./orm.js";

let database: TestDatabase;
let orm: MikroORM;

beforeAll(async () => {
  database = await createTestDatabase();
  // One connection, and a short wait for it: a full pool in a few hundred milliseconds.
  orm = await MikroORM.init(ormConfig(database.url, { pool: { min: 0, max: 1, acquireTimeoutMillis: 300 } }));
  await orm.getMigrator().up();
});
afterAll(async () => {
  await orm?.close();
  await database?.drop();
});

/** What `run` throws while another query holds the pool's only connection. */
async function thrownWhilePoolIsFull(run: () => Promise<unknown>): Promise<unknown> {
  const holding = orm.em.fork().getConnection().execute("select pg_sleep(1)");
  try {
    await run();
  } catch (err) {
    return err;
  } finally {
    await holding;
  }
  throw new Error("expected the query to wait for a connection and fail");
}

describe("databaseErrorOf", () => {
  it("reads a full pool as the database unavailable, through MikroORM's wrapping and without it", async () => {
    const wrapped = await thrownWhilePoolIsFull(() => orm.em.fork().find(SupportedExchangeSchema, {}));
    expect(wrapped).toMatchObject({ name: "DriverException", message: expect.stringMatching(/^Knex: Timeout acquiring a connection/) });
    const raw = await thrownWhilePoolIsFull(() => orm.em.fork().getConnection().execute("select 1"));
    expect(raw).toMatchObject({ name: "KnexTimeoutError" });
    for (const err of [wrapped, raw, new Error("while listing", { cause: wrapped })]) {
      const translated = databaseErrorOf(err);
      expect(translated).toBeInstanceOf(DatabaseUnavailableError);
      expect(translated).toMatchObject({ kind: "unavailable", reason: "DATABASE_UNAVAILABLE", retryAfterMs: 2000 });
    }
  });

  it("leaves other database errors alone", async () => {
    const err = await orm.em.fork().getConnection().execute("select * from no_such_table").catch((e: unknown) => e);
    expect(databaseErrorOf(err)).toBeUndefined();
    expect(databaseErrorOf(new Error("boom"))).toBeUndefined();
  });
});
