import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { ExchangeAccountSchema } from "../accounts/exchange-account.entity.js";
import type { SyncState, SyncType } from "./sync-state.js";

/** One failed currency/network of a sync run. */
export interface SyncFailureRecord {
  currency: string;
  network?: string;
  reason: string;
  message: string;
}

/** One sync run of an account (table address_sync_log). */
export const SyncRunSchema = defineEntity({
  name: "SyncRun",
  tableName: "address_sync_log",
  properties: {
    id: p.uuid().primary().defaultRaw("gen_random_uuid()"),
    exchangeAccount: () => p.manyToOne(ExchangeAccountSchema).fieldName("exchange_account_id"),
    userId: p.uuid(),
    syncType: p.string().length(50).$type<SyncType>(),
    currenciesSynced: p.array().nullable(),
    addressesAdded: p.integer().default(0),
    addressesUpdated: p.integer().default(0),
    addressesRemoved: p.integer().default(0),
    addressesFailed: p.integer().default(0),
    addressesUnchanged: p.integer().default(0),
    syncDurationMs: p.integer().nullable(),
    status: p.string().length(20).$type<SyncState>(),
    errorDetails: p.json<SyncFailureRecord[]>().nullable(),
    createdAt: p.datetime(3).defaultRaw("now()").onCreate(() => new Date()),
    completedAt: p.datetime().nullable(),
  },
  indexes: [
    { name: "idx_sync_history", properties: ["exchangeAccount", "createdAt"] },
    { name: "idx_user_sync", properties: ["userId", "createdAt"] },
    // GetSyncStatus's latest failures per exchange and GetAnalytics's period (src/admin).
    {
      name: "idx_sync_failures",
      expression: "create index idx_sync_failures on address_sync_log (created_at desc, id desc) where status in ('failed', 'partial')",
    },
    { name: "idx_sync_created", properties: ["createdAt"] },
    // The runs a start-up closes when a crash left them running.
    { name: "idx_sync_running", expression: "create index idx_sync_running on address_sync_log (exchange_account_id) where status = 'running'" },
  ],
});

export type SyncRun = InferEntity<typeof SyncRunSchema>;
