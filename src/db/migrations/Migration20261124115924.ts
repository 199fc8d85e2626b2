import { Migration } from '@mikro-orm/migrations';

export class Migration20261124115924 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "exchange_accounts" ("id" uuid not null default gen_random_uuid(), "user_id" uuid not null, "exchange_id" varchar(50) not null, "account_name" varchar(100) not null, "api_key_encrypted" text not null, "api_secret_encrypted" text not null, "api_passphrase_encrypted" text null, "credentials_key_version" int not null default 1, "api_key_hint" varchar(4) not null, "sandbox_mode" boolean not null default false, "is_active" boolean not null default true, "last_sync_at" timestamptz null, "sync_status" varchar(20) not null default 'pending', "error_message" text null, "metadata" jsonb not null default '{}', "permissions" jsonb null, "request_id" varchar(64) null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "exchange_accounts_pkey" primary key ("id"));`);
    this.addSql(`create index "idx_user_exchanges" on "exchange_accounts" ("user_id", "is_active");`);
    this.addSql(`create index "idx_exchange_sync" on "exchange_accounts" ("exchange_id", "last_sync_at");`);
    this.addSql(`create index "idx_accounts_user_page" on "exchange_accounts" ("user_id", "created_at", "id");`);
    this.addSql(`create unique index uq_accounts_user_exchange_name on exchange_accounts (user_id, exchange_id, account_name) where deleted_at is null;`);
    this.addSql(`alter table "exchange_accounts" add constraint "uq_accounts_user_request" unique ("user_id", "request_id");`);

    this.addSql(`create table "exchange_deposit_addresses" ("id" uuid not null default gen_random_uuid(), "exchange_account_id" uuid not null, "user_id" uuid not null, "exchange_id" varchar(50) not null, "currency" varchar(20) not null, "address" varchar(255) not null, "tag" varchar(100) null, "network" varchar(50) not null, "tag_required" boolean not null default false, "address_type" varchar(20) not null default 'deposit', "label" varchar(100) null, "description" text null, "is_active" boolean not null default true, "last_verified_at" timestamptz null, "exchange_metadata" jsonb not null default '{}', "user_metadata" jsonb not null default '{}', "request_id" varchar(64) null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "exchange_deposit_addresses_pkey" primary key ("id"));`);
    this.addSql(`create index "idx_user_addresses" on "exchange_deposit_addresses" ("user_id", "is_active");`);
    this.addSql(`create index "idx_exchange_currency" on "exchange_deposit_addresses" ("exchange_id", "currency");`);
    this.addSql(`create index "idx_address_lookup" on "exchange_deposit_addresses" ("address", "exchange_id");`);
    this.addSql(`create index idx_addresses_user_page on exchange_deposit_addresses (user_id, created_at, id) where deleted_at is null;`);
    this.addSql(`create unique index uq_addresses_account_route on exchange_deposit_addresses (exchange_account_id, currency, network) where deleted_at is null;`);
    this.addSql(`alter table "exchange_deposit_addresses" add constraint "uq_addresses_user_request" unique ("user_id", "request_id");`);

    this.addSql(`create table "address_activity_log" ("id" uuid not null default gen_random_uuid(), "address_id" uuid not null, "user_id" uuid not null, "action" varchar(50) not null, "old_values" jsonb null, "new_values" jsonb null, "ip_address" inet null, "user_agent" text null, "created_at" timestamptz(3) not null default now(), constraint "address_activity_log_pkey" primary key ("id"));`);
    this.addSql(`create index "idx_address_activity" on "address_activity_log" ("address_id", "created_at");`);
    this.addSql(`create index "idx_user_activity" on "address_activity_log" ("user_id", "created_at");`);

    this.addSql(`create table "supported_exchanges" ("id" varchar(50) not null, "name" varchar(100) not null, "ccxt_id" varchar(50) not null, "website_url" varchar(255) null, "api_doc_url" varchar(255) null, "is_active" boolean not null default true, "supports_deposit_addresses" boolean not null default true, "rate_limit_per_minute" int not null default 60, "requires_passphrase" boolean not null default false, "sandbox_available" boolean not null default false, "supported_currencies" text[] null, "metadata" jsonb not null default '{}', "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz not null default now(), constraint "supported_exchanges_pkey" primary key ("id"));`);
    this.addSql(`alter table "supported_exchanges" add constraint "supported_exchanges_ccxt_id_unique" unique ("ccxt_id");`);

    this.addSql(`create table "address_sync_log" ("id" uuid not null default gen_random_uuid(), "exchange_account_id" uuid not null, "user_id" uuid not null, "sync_type" varchar(50) not null, "currencies_synced" text[] null, "addresses_added" int not null default 0, "addresses_updated" int not null default 0, "addresses_removed" int not null default 0, "addresses_failed" int not null default 0, "addresses_unchanged" int not null default 0, "sync_duration_ms" int null, "status" varchar(20) not null, "error_details" jsonb null, "created_at" timestamptz(3) not null default now(), "completed_at" timestamptz null, constraint "address_sync_log_pkey" primary key ("id"));`);
    this.addSql(`create index "idx_sync_history" on "address_sync_log" ("exchange_account_id", "created_at");`);
    this.addSql(`create index "idx_user_sync" on "address_sync_log" ("user_id", "created_at");`);

    this.addSql(`alter table "exchange_deposit_addresses" add constraint "exchange_deposit_addresses_exchange_account_id_foreign" foreign key ("exchange_account_id") references "exchange_accounts" ("id") on update cascade;`);

    this.addSql(`alter table "address_activity_log" add constraint "address_activity_log_address_id_foreign" foreign key ("address_id") references "exchange_deposit_addresses" ("id") on update cascade;`);

    this.addSql(`alter table "address_sync_log" add constraint "address_sync_log_exchange_account_id_foreign" foreign key ("exchange_account_id") references "exchange_accounts" ("id") on update cascade;`);
  }

}
