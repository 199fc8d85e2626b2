// Writes a migration for the difference between the entities and the schema
// of a scratch database: `npm run migration:create [-- --initial]`.
// Review the file, then add its class to src/db/migrations/index.ts.
import { MikroORM } from "@mikro-orm/postgresql";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.js";
import { MIGRATIONS } from "../src/db/migrations/index.js";
import { ormConfig } from "../src/db/orm.js";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const initial = process.argv.includes("--initial");
const dir = await mkdtemp(path.join(os.tmpdir(), "wallet-migration-"));
const pg = await startEmbeddedPostgres({ dir, ephemeral: true });
try {
  const orm = await MikroORM.init(
    ormConfig(pg.url, {
      migrations: { migrationsList: MIGRATIONS, path: "src/db/migrations", emit: "ts", snapshot: false },
    }),
  );
  if (!initial) await orm.getMigrator().up();
  const result = await orm.getMigrator().createMigration("src/db/migrations", false, initial);
  console.log(result.fileName ? `wrote src/db/migrations/${result.fileName}` : "no changes");
  await orm.close();
} finally {
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
