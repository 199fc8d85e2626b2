import type { MigrationObject } from "@mikro-orm/core";
import { Migration20261124115924 } from "./Migration20261124115924.js";
import { Migration20261124120000 } from "./Migration20261124120000.js";
import { Migration20261125090000 } from "./Migration20261125090000.js";
import { Migration20261202100000 } from "./Migration20261202100000.js";
import { Migration20261202110000 } from "./Migration20261202110000.js";

/** Every migration, oldest first. `npm run migration:create` writes new ones; add them here. */
export const MIGRATIONS: MigrationObject[] = [
  { name: "Migration20261124115924_initial_schema", class: Migration20261124115924 },
  { name: "Migration20261124120000_seed_supported_exchanges", class: Migration20261124120000 },
  { name: "Migration20261125090000_sync_log_admin_indexes", class: Migration20261125090000 },
  { name: "Migration20261202100000_address_validation", class: Migration20261202100000 },
  { name: "Migration20261202110000_server_keys", class: Migration20261202110000 },
];
