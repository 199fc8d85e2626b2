import { Migration } from '@mikro-orm/migrations';

/** Keys the replicas share and generate themselves (the page-token HMAC key): the first replica to start inserts one, the others read it. */
export class Migration20261202110000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "server_keys" ("name" varchar(50) not null, "key" bytea not null, "created_at" timestamptz not null default now(), constraint "server_keys_pkey" primary key ("name"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "server_keys";`);
  }

}
