import type { EntityManager, FilterQuery } from "@mikro-orm/core";
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

/** The queries of exchange_accounts; one instance per request's EntityManager fork. */
export class ExchangeAccountRepository {
  constructor(readonly em: EntityManager) {}

  /** A live account of this user; deleted accounts and other users' accounts are not found. */
  findOwned(userId: string, id: string): Promise<ExchangeAccount | null> {
    return this.em.findOne(ExchangeAccountSchema, { id, userId, deletedAt: null });
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
