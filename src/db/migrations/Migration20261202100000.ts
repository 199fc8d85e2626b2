import { Migration } from '@mikro-orm/migrations';

/**
 * What was checked of each deposit address before it was stored: "valid" (its network's
 * format and checksum) or "not_checked" (no validator for the network). Rows stored before
 * addresses were checked are "not_checked" until a refresh or sync re-verifies them. A
 * constant default adds the column without rewriting the table.
 */
export class Migration20261202100000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "exchange_deposit_addresses" add column "address_validation" varchar(20) not null default 'not_checked';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "exchange_deposit_addresses" drop column "address_validation";`);
  }

}
