import { Migration } from '@mikro-orm/migrations';

/** Indexes of the sync log: the admin's latest failures and runs of a period, and the runs a start-up must close. */
export class Migration20261125090000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index idx_sync_failures on address_sync_log (created_at desc, id desc) where status in ('failed', 'partial');`);
    this.addSql(`create index "idx_sync_created" on "address_sync_log" ("created_at");`);
    this.addSql(`create index idx_sync_running on address_sync_log (exchange_account_id) where status = 'running';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "idx_sync_failures";`);
    this.addSql(`drop index if exists "idx_sync_created";`);
    this.addSql(`drop index if exists "idx_sync_running";`);
  }

}
