import type { EntityManager, FilterQuery } from "@mikro-orm/core";
import type { EntityManager as SqlEntityManager } from "@mikro-orm/postgresql";
import { runPrepared, type Statement } from "../db/prepared.js";
import { dateOrNull } from "../db/row-values.js";
import type { PageRequest } from "../pagination.js";
import type { SyncState } from "../sync/sync-state.js";
import { type ExchangeAccount, ExchangeAccountSchema } from "./exchange-account.entity.js";

/** Filters of the admin's list of every account. */
export interface AccountFilters {
  readonly userId?: string;
  readonly exchangeId?: string;
  readonly syncStatus?: SyncState;
  readonly showDeleted: boolean;
}

const READ_OWNED: Statement = { name: "account_read_owned", text: "select * from exchange_accounts where id = $1 and user_id = $2 and deleted_at is null" };

/** The queries of exchange_accounts; one instance per request's EntityManager fork. */
export class ExchangeAccountRepository {
  constructor(readonly em: EntityManager) {}

  /** A live account of this user, as an entity to change; deleted and other users' accounts are not found. */
  findOwned(userId: string, id: string): Promise<ExchangeAccount | null> {
    return this.em.findOne(ExchangeAccountSchema, { id, userId, deletedAt: null });
  }

  /**
   * The same account read-only, in plain SQL: every account-scoped call
   * starts here, and the ORM's query building and hydration cost 4x the query;
   * a named prepared statement (db/prepared.ts), planned once per connection.
   */
  async readOwned(userId: string, id: string): Promise<ExchangeAccount | null> {
    const rows = await runPrepared(this.em as SqlEntityManager, READ_OWNED, [id, userId]);
    return rows[0] ? accountOfRow(rows[0]) : null;
  }

  findByRequestId(userId: string, requestId: string): Promise<ExchangeAccount | null> {
    return this.em.findOne(ExchangeAccountSchema, { userId, requestId });
  }

  /** A page in creation order, fetching one row more than the page to know whether another follows. */
  list(filters: AccountFilters, page: PageRequest): Promise<ExchangeAccount[]> {
    const where: FilterQuery<ExchangeAccount> = {};
    if (filters.userId) where.userId = filters.userId;
    if (filters.exchangeId) where.exchangeId = filters.exchangeId;
    if (filters.syncStatus) where.syncStatus = filters.syncStatus;
    if (!filters.showDeleted) where.deletedAt = null;
    if (page.after) {
      const { createdAt, id } = page.after;
      where.$or = [{ createdAt: { $gt: createdAt } }, { createdAt, id: { $gt: id } }];
    }
    return this.em.find(ExchangeAccountSchema, where, {
      orderBy: { createdAt: "asc", id: "asc" },
      limit: page.pageSize + 1,
    });
  }
}

/** A raw exchange_accounts row as the account type. */
function accountOfRow(row: Record<string, unknown>): ExchangeAccount {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    exchangeId: row.exchange_id as string,
    accountName: row.account_name as string,
    apiKeyEncrypted: row.api_key_encrypted as string,
    apiSecretEncrypted: row.api_secret_encrypted as string,
    apiPassphraseEncrypted: (row.api_passphrase_encrypted as string | null) ?? null,
    credentialsKeyVersion: row.credentials_key_version as number,
    apiKeyHint: row.api_key_hint as string,
    sandboxMode: row.sandbox_mode as boolean,
    isActive: row.is_active as boolean,
    lastSyncAt: dateOrNull(row.last_sync_at),
    syncStatus: row.sync_status as SyncState,
    errorMessage: (row.error_message as string | null) ?? null,
    metadata: (row.metadata ?? {}) as Record<string, string>,
    permissions: (row.permissions as ExchangeAccount["permissions"]) ?? null,
    requestId: (row.request_id as string | null) ?? null,
    createdAt: dateOrNull(row.created_at)!,
    updatedAt: dateOrNull(row.updated_at)!,
    deletedAt: dateOrNull(row.deleted_at),
  };
}
