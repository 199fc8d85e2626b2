import { Migrator } from "@mikro-orm/migrations";
import { defineConfig, MikroORM, type Options } from "@mikro-orm/postgresql";
import type { Logger } from "../logger.js";
import { ENTITIES } from "./entities.js";
import { MIGRATIONS } from "./migrations/index.js";

export type { MikroORM };

/**
 * The ORM configuration. Migrations are listed as classes, not discovered
 * from files, so the same ones run from `npm start` (compiled), the migrate
 * script and the tests (TypeScript).
 */
export function ormConfig(databaseUrl: string, overrides: Options = {}, logger?: Logger): Options {
  return defineConfig({
    clientUrl: databaseUrl,
    colors: false,
    // The ORM's own messages (migrations applied) become JSON log lines like ours.
    logger: (message) => (logger ? logger.info({ component: "orm" }, message) : console.log(message)),
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: {
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    // Fail fast when the database is down: a call answers UNAVAILABLE in seconds, not a minute.
    pool: { min: 1, max: 20, acquireTimeoutMillis: 5000 },
    driverOptions: {
      connection: { connectionTimeoutMillis: 3000 },
      // knex warns on console (a dropped connection, say); ours go to the JSON log.
      log: {
        warn: (message: unknown) => logger?.warn({ component: "knex" }, String(message)),
        error: (message: unknown) => logger?.error({ component: "knex" }, String(message)),
        deprecate: () => undefined,
        debug: () => undefined,
      },
    },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ...overrides,
  });
}

/** Connects to PostgreSQL; `migrate` brings the schema up to date first. */
export async function initORM(databaseUrl: string, options: { migrate: boolean; logger?: Logger }): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(databaseUrl, {}, options.logger));
  if (options.migrate) await orm.getMigrator().up();
  return orm;
}
