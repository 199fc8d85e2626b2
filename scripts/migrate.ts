// Brings the schema of DATABASE_URL (or the embedded default's database) up
// to date: `npm run migrate`. `npm start` does the same on every start.
import path from "node:path";
import { ConfigError, loadConfig } from "../src/config.js";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.js";
import { initORM } from "../src/db/orm.js";
import { createLogger } from "../src/logger.js";

let config;
try {
  config = loadConfig();
} catch (err) {
  process.stderr.write(`migrate: ${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
}
const logger = createLogger(config.logLevel);
const pg = config.databaseUrl ? undefined : await startEmbeddedPostgres({ dir: path.join(config.dataDir, "postgres") });
try {
  const orm = await initORM(config.databaseUrl ?? pg!.url, { migrate: true, logger });
  const applied = await orm.getMigrator().getExecutedMigrations();
  logger.info({ migrations: applied.map((m) => m.name) }, "schema up to date");
  await orm.close();
} finally {
  await pg?.stop();
}
