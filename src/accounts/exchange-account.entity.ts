import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import type { SyncState } from "../sync/sync-state.js";

/** What the latest key check (a connection test) learned of the key; dates as ISO strings. */
export interface StoredPermissions {
  read: boolean;
  trade: boolean;
  withdraw: boolean;
  reported: boolean;
  ipRestricted?: boolean;
  ipAllowlist?: string[];
  expiresAt?: string;
  unreadable?: string;
  checkedAt: string;
}

/**
 * A user's API key on one exchange (table exchange_accounts). The key, secret
 * and passphrase are stored only as ciphertexts bound to the row's id.
 */
export const ExchangeAccountSchema = defineEntity({
  name: "ExchangeAccount",
  tableName: "exchange_accounts",
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    userId: p.uuid(),
    exchangeId: p.string().length(50),
    accountName: p.string().length(100),
    apiKeyEncrypted: p.text(),
    apiSecretEncrypted: p.text(),
    apiPassphraseEncrypted: p.text().nullable(),
    credentialsKeyVersion: p.integer().default(1),
    apiKeyHint: p.string().length(4),
    sandboxMode: p.boolean().default(false),
    isActive: p.boolean().default(true),
    lastSyncAt: p.datetime().nullable(),
    syncStatus: p.string().length(20).$type<SyncState>().default("pending"),
    errorMessage: p.text().nullable(),
    metadata: p.json<Record<string, string>>().default("{}"),
    permissions: p.json<StoredPermissions>().nullable(),
    requestId: p.string().length(64).nullable(),
    createdAt: p.datetime(3).defaultRaw("now()").onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()).onUpdate(() => new Date()),
    deletedAt: p.datetime().nullable(),
  },
  indexes: [
    { name: "idx_user_exchanges", properties: ["userId", "isActive"] },
    { name: "idx_exchange_sync", properties: ["exchangeId", "lastSyncAt"] },
    { name: "idx_accounts_user_page", properties: ["userId", "createdAt", "id"] },
  ],
  uniques: [
    {
      name: "uq_accounts_user_exchange_name",
      expression:
        "create unique index uq_accounts_user_exchange_name on exchange_accounts (user_id, exchange_id, account_name) where deleted_at is null",
    },
    { name: "uq_accounts_user_request", properties: ["userId", "requestId"] },
  ],
});

export type ExchangeAccount = InferEntity<typeof ExchangeAccountSchema>;
